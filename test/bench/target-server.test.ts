// The target of bench/checks: built with cc, it answers every connection once and closes;
// without a compiler it is a named refusal.
import t from 'tap';
import net from 'node:net';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { startTargetServer, TargetServerUnavailable } from '../../bench/checks/target-server.js';

function exchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const c = net.connect(port, '127.0.0.1', () => c.write(request));
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('error', reject);
    c.on('end', () => resolve(Buffer.concat(chunks).toString()));
  });
}

t.test('answers each request with the canned 200 and a FIN, connection after connection', async (t) => {
  const target = await startTargetServer();
  t.teardown(() => target.stop());
  t.match(target.compiler, /\S/);
  for (let i = 0; i < 3; i++) {
    t.equal(await exchange(target.port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n'), 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
  }
  // A TCP check connects and closes without a byte: the target must go on serving.
  const bare = net.connect(target.port, '127.0.0.1');
  await once(bare, 'connect');
  bare.destroy();
  t.match(await exchange(target.port, 'GET / HTTP/1.1\r\n\r\n'), /^HTTP\/1\.1 200 OK/);
});

t.test('stop ends the process and removes its build directory', async (t) => {
  const target = await startTargetServer();
  t.teardown(() => target.stop()); // stop is idempotent: here in case an assertion ends the test early
  const { port, binary } = target;
  t.ok(existsSync(binary), `built: ${binary}`);
  await target.stop();
  t.notOk(existsSync(dirname(binary)), 'its build directory is gone');
  const refused = await new Promise<string>((resolve) => net.connect(port, '127.0.0.1').on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')).on('connect', () => resolve('connected')));
  t.equal(refused, 'ECONNREFUSED', 'nothing listens on its port any more');
});

t.test('without a C compiler it refuses and says how to install one', async (t) => {
  const err = await startTargetServer({ ...process.env, PATH: '/nonexistent' }).catch((e: unknown) => e);
  t.ok(err instanceof TargetServerUnavailable, 'a TargetServerUnavailable');
  t.match((err as Error).message, /no C compiler \(cc\): the benchmark's target server needs Debian's gcc \(`make bench-deps` installs it\)/);
});

t.test('a source that does not compile is a refusal carrying the compiler\'s message', async (t) => {
  await t.rejects(startTargetServer(process.env, '/nonexistent/target.c'), { name: 'TargetServerUnavailable', message: /^cc of \/nonexistent\/target\.c failed: .*No such file/ });
});
