// The system-call floor of bench/checks: built with cc and run against a real target, its
// figures are those of the probes it made; without a compiler it is a named refusal.
import t from 'tap';
import net, { type AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { SyscallFloor, SyscallFloorUnavailable } from '../../bench/checks/syscall-floor.js';

// One build serves every test that probes.
const floor = await SyscallFloor.build();
t.teardown(() => floor.dispose());

t.test('built with cc, it probes a real target over HTTP and TCP and reports each probe it made', async (t) => {
  let connections = 0;
  const reply = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
  const server = net.createServer((c) => {
    connections++;
    c.on('error', () => {});
    c.once('data', () => c.end(reply));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  t.match(floor.compiler, /\S/, `compiler: ${floor.compiler}`);
  const http = await floor.http(`http://127.0.0.1:${port}/health`, 50);
  t.match(http, { probes: 50, failures: 0 });
  t.ok(http.cpuMsPerProbe > 0 && http.wallMsPerProbe > 0, `HTTP: ${http.cpuMsPerProbe} ms CPU per probe`);
  // 200 warm-up probes of its own, then the 50 counted ones.
  t.equal(connections, 250, 'every probe was a connection of its own');
  const tcp = await floor.tcp(`127.0.0.1:${port}`, 50);
  t.match(tcp, { probes: 50, failures: 0 });
  // Paced: 5 back to back, then asleep to the next 10 ms mark, 4 times; the sleeps are on
  // the monotonic clock to absolute marks, so 20 probes take at least 40 ms.
  const paced = await floor.httpPaced(`http://127.0.0.1:${port}/health`, 20, 5, 10);
  t.match(paced, { probes: 20, failures: 0 });
  t.ok(paced.wallMsPerProbe * 20 >= 40, `paced: ${(paced.wallMsPerProbe * 20).toFixed(1)} ms for 20 probes in batches of 5 every 10 ms`);
  t.equal(connections, 250 + 250 + 200 + 20, 'the paced run warmed up and probed as many times as asked');
});

t.test('pacing needs both a batch and a period: the program refuses one alone', async (t) => {
  const err = spawnSync(floor.binary, ['-url', 'http://127.0.0.1:1/', '-n', '5', '-batch', '5'], { encoding: 'utf8' });
  t.equal(err.status, 2, 'usage error, before any probe');
  t.match(err.stderr, /usage: .* \[-batch B -every MS\]/);
});

t.test('an answer outside 200..399 counts as a failure, which the run refuses', async (t) => {
  const server = net.createServer((c) => c.once('data', () => c.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await t.rejects(floor.http(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, 5), { message: /^syscall-floor -url .*: 5 of 5 probes failed$/ });
});

t.test('without a C compiler the build refuses and says how to install one', async (t) => {
  const err = await SyscallFloor.build({ ...process.env, PATH: '/nonexistent' }).catch((e: unknown) => e);
  t.ok(err instanceof SyscallFloorUnavailable, 'a SyscallFloorUnavailable');
  t.match((err as Error).message, /no C compiler \(cc\): the system-call floor needs Debian's gcc \(`make bench-deps` installs it\)/);
});

t.test('a source that does not compile is a refusal carrying the compiler\'s message', async (t) => {
  await t.rejects(SyscallFloor.build(process.env, '/nonexistent/floor.c'), { name: 'SyscallFloorUnavailable', message: /^cc of \/nonexistent\/floor\.c failed: .*No such file/ });
});
