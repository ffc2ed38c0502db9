// The system calls each HTTP and TCP probe makes on its socket, counted with strace on a
// child process that runs the probes: a probe's CPU is mostly the kernel's, so a call more
// per probe (a failed epoll registration, a setsockopt nobody needs) is a regression.
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { listenOnLoopback } from '../helpers/ports.js';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { within } from '../helpers/wait.js';

const PROBES = 20;

function straceAvailable(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Per socket the probe opened: its system calls in order, `name` or `name:ERRNO` when it failed. */
function callsPerSocket(trace: string): string[][] {
  const open = new Map<number, string[]>();
  const done: string[][] = [];
  for (const line of trace.split('\n')) {
    const m = /^(\w+)\((.*)\)\s+= (-?\d+)(?: (E[A-Z]+))?/.exec(line);
    if (!m) continue;
    const [, name, args, ret, errno] = m as unknown as [string, string, string, string, string | undefined];
    if (name === 'socket') {
      if (args.startsWith('AF_INET') && Number(ret) >= 0) open.set(Number(ret), ['socket']);
      continue;
    }
    // epoll_ctl(epfd, op, fd, ...) names its socket third, every other call first.
    const fields = args.split(', ');
    const fd = Number(name === 'epoll_ctl' ? fields[2] : fields[0]);
    const calls = open.get(fd);
    if (!calls) continue;
    calls.push(errno && errno !== 'EINPROGRESS' ? `${name}:${errno}` : name === 'epoll_ctl' ? `epoll_ctl:${fields[1]!.replace('EPOLL_CTL_', '')}` : name);
    if (name === 'close') {
      open.delete(fd);
      done.push(calls);
    }
  }
  return done;
}

async function traceProbes(t: { teardown(fn: () => unknown): void }, kind: 'http' | 'tcp', transport: 'native' | 'libuv'): Promise<string[][]> {
  const server = createServer((s) => {
    s.on('error', () => undefined);
    s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'));
  });
  const port = await listenOnLoopback(t, server);
  const dir = mkdtempSync(join(tmpdir(), 'probe-syscalls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'probes.mjs');
  const http = new URL('../../checks/http-probe.js', import.meta.url).href;
  const tcp = new URL('../../checks/tcp-probe.js', import.meta.url).href;
  const native = new URL('../../checks/native-prober.js', import.meta.url).href;
  writeFileSync(
    script,
    `const { nativeProberAvailable, useNativeProberForTests } = await import(${JSON.stringify(native)});
if (!nativeProberAvailable()) throw new Error('the native prober is not built');
useNativeProberForTests(${JSON.stringify(transport === 'native' ? 'auto' : 'off')});
const { probeHttp } = await import(${JSON.stringify(http)});
const { probeTcp } = await import(${JSON.stringify(tcp)});
const signal = new AbortController().signal;
for (let i = 0; i < ${PROBES}; i++) {
  const o = ${kind === 'http' ? `await probeHttp({ type: 'HTTP', scheme: 'http', host: '127.0.0.1', port: ${port}, path: '/', followRedirects: true }, { signal })` : `await probeTcp({ type: 'TCP', host: '127.0.0.1', port: ${port} }, { signal })`};
  if (o.kind !== 'result') throw new Error(JSON.stringify(o));
}
`,
  );
  const out = join(dir, 'trace');
  // The main thread only (no -f): the probes run there, and no other thread's lines interleave.
  const child = spawn('strace', ['-qq', '-o', out, '-e', 'trace=socket,connect,getsockopt,setsockopt,ioctl,write,writev,read,readv,recvfrom,sendto,shutdown,close,epoll_ctl', process.execPath, script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await within(once(child, 'exit'), 30_000, 'the traced probes')) as [number | null];
  if (code !== 0) throw new Error(`strace of the probes exited ${code}: ${stderr.slice(0, 500)}`);
  return callsPerSocket(readFileSync(out, 'utf8'));
}

t.test('HTTP, native prober: socket, connect, the request sent at once, one epoll registration, one read, close', async (t) => {
  if (!straceAvailable()) return void t.fail('this test counts system calls with strace: install it (apt-get install -y strace)');
  const perSocket = await traceProbes(t, 'http', 'native');
  t.equal(perSocket.length, PROBES, 'one socket per probe');
  const expected = ['socket', 'connect', 'sendto', 'epoll_ctl:ADD', 'read', 'close'];
  t.same(perSocket.filter((calls) => calls.join() !== expected.join()), [], `every probe: ${expected.join(', ')} (libuv's handles: 9 calls)`);
});

t.test('TCP, native prober: socket, connect, TCP_INFO says established, close', async (t) => {
  if (!straceAvailable()) return void t.fail('this test counts system calls with strace: install it (apt-get install -y strace)');
  const perSocket = await traceProbes(t, 'tcp', 'native');
  t.equal(perSocket.length, PROBES, 'one socket per probe');
  // On loopback the handshake is done when connect returns; where it is not, the probe waits on epoll.
  const immediate = ['socket', 'connect', 'getsockopt', 'close'].join();
  const waited = ['socket', 'connect', 'getsockopt', 'epoll_ctl:ADD', 'getsockopt', 'close'].join();
  t.same(perSocket.filter((calls) => calls.join() !== immediate && calls.join() !== waited), [], `every probe: ${immediate}, or ${waited}`);
  t.ok(perSocket.filter((calls) => calls.join() === immediate).length >= PROBES / 2, 'most connects are done when connect returns');
});

t.test('HTTP, libuv handles: socket, connect, one epoll registration for both directions, one write, one read, close', async (t) => {
  if (!straceAvailable()) return void t.fail('this test counts system calls with strace: install it (apt-get install -y strace)');
  const perSocket = await traceProbes(t, 'http', 'libuv');
  t.equal(perSocket.length, PROBES, 'one socket per probe');
  const expected = ['socket', 'connect', 'epoll_ctl:ADD', 'getsockopt', 'write', 'epoll_ctl:MOD', 'read', 'epoll_ctl:DEL', 'close'];
  t.same(perSocket.filter((calls) => calls.join() !== expected.join()), [], `every probe: ${expected.join(', ')} (before: a failed EPOLL_CTL_ADD with EEXIST, then a MOD, on every probe)`);
});

t.test('TCP, libuv handles: socket, connect, one epoll registration, close', async (t) => {
  if (!straceAvailable()) return void t.fail('this test counts system calls with strace: install it (apt-get install -y strace)');
  const perSocket = await traceProbes(t, 'tcp', 'libuv');
  t.equal(perSocket.length, PROBES, 'one socket per probe');
  const expected = ['socket', 'connect', 'epoll_ctl:ADD', 'getsockopt', 'epoll_ctl:DEL', 'close'];
  t.same(perSocket.filter((calls) => calls.join() !== expected.join()), [], `every probe: ${expected.join(', ')}`);
});
