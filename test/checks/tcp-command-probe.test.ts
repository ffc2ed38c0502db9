// TCP probes against real sockets; COMMAND probes as real processes in their own group.
import t from 'tap';
import { createServer } from 'node:net';
import { getEventListeners, once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeTcp } from '../../checks/tcp-probe.js';
import { useRawTcpForTests } from '../../checks/raw-tcp.js';
import { nativeActive, useNativeProberForTests } from '../../checks/native-prober.js';
import { probeCommand, OutputTail } from '../../checks/command-probe.js';
import { parseCommandInfo } from '../../checks/definitions.js';
import { CheckScheduler } from '../../checks/scheduler.js';
import { systemClock } from '../../common/clock.js';
import type { ProbeOutcome } from '../../checks/outcome.js';
import type { mesos } from '../../proto/codec.js';
import { processGone, until } from '../helpers/wait.js';

const never = () => new AbortController().signal;

// Each transport a TCP check can take: the native prober, libuv's handle, node:net.
const PATHS = ['native prober', 'libuv handle', 'node:net fallback'] as const;
function usePath(t: { teardown(fn: () => unknown): void }, path: (typeof PATHS)[number]): void {
  useNativeProberForTests(path === 'native prober' ? 'auto' : 'off');
  useRawTcpForTests(path === 'node:net fallback' ? 'off' : 'auto');
  t.teardown(() => {
    useNativeProberForTests('auto');
    useRawTcpForTests('auto');
  });
}

for (const path of PATHS) t.test(`TCP (${path}): accepted connects and closes; refused is a result succeeded:false, not an error`, async (t) => {
  usePath(t, path);
  let accepted = 0;
  const server = createServer((s) => {
    accepted++;
    s.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  t.same(await probeTcp({ type: 'TCP', host: '127.0.0.1', port }, { signal: never() }), { kind: 'result', result: { type: 'TCP', succeeded: true } });
  // The native prober's connect is done before the server's accept callback has run.
  await until(() => accepted === 1, 'the server accepted the probe', 2000);
  server.close();
  await once(server, 'close');
  t.equal(accepted, 1);
  t.same(await probeTcp({ type: 'TCP', host: '127.0.0.1', port }, { signal: never() }), { kind: 'result', result: { type: 'TCP', succeeded: false, detail: 'connection refused' } });
  const v6 = createServer((s) => s.destroy());
  v6.listen(0, '::1');
  await once(v6, 'listening');
  t.teardown(() => v6.close());
  t.match(await probeTcp({ type: 'TCP', host: '::1', port: (v6.address() as { port: number }).port }, { signal: never() }), { kind: 'result', result: { succeeded: true } }, 'IPv6');
  const aborted = new AbortController();
  aborted.abort();
  t.match(await probeTcp({ type: 'TCP', host: '127.0.0.1', port }, { signal: aborted.signal }), { kind: 'error', code: 'ABORTED' });
  // Aborted while the connect is pending: the handle is closed, the late completion (ECANCELED) ignored.
  const midway = new AbortController();
  const pending = probeTcp({ type: 'TCP', host: '::1', port: (v6.address() as { port: number }).port }, { signal: midway.signal });
  midway.abort();
  t.match(await pending, { kind: 'error', code: 'ABORTED' }, 'abort during the connect');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(nativeActive(), 0, 'the native prober holds no connection afterwards');
});

for (const path of PATHS) t.test(`TCP (${path}): probes on one signal share one abort listener, which still aborts a pending connect`, async (t) => {
  usePath(t, path);
  const server = createServer((s) => s.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  // The scheduler hands a check the same signal probe after probe until it aborts.
  const controller = new AbortController();
  const { signal } = controller;
  let added = 0;
  const add = signal.addEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    added++;
    return add(...args);
  }) as typeof add;
  for (let i = 0; i < 5; i++) t.match(await probeTcp({ type: 'TCP', host: '127.0.0.1', port }, { signal }), { kind: 'result', result: { succeeded: true } });
  t.equal(added, 1, 'one addEventListener for five probes');
  t.equal(getEventListeners(signal, 'abort').length, 1, 'and it stays for the next probe');
  const pending = probeTcp({ type: 'TCP', host: '127.0.0.1', port }, { signal });
  controller.abort();
  t.same(await pending, { kind: 'error', code: 'ABORTED', message: 'probe aborted' }, 'the shared listener aborts the probe in flight');
  t.same(await probeTcp({ type: 'TCP', host: '127.0.0.1', port }, { signal }), { kind: 'error', code: 'ABORTED', message: 'probe aborted' }, 'an aborted signal starts nothing');
});

function tmp(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'checks-cmd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const cmd = (c: mesos.CommandInfo) => parseCommandInfo('command', c);
const base = (cwd: string) => ({ environment: { PATH: process.env.PATH!, FROM_TASK: 'task', SHARED: 'task' }, workingDirectory: cwd });

// SIGKILL to a group is queued, not synchronous, and a process that is not our child has
// no exit event to wait on: its /proc entry is watched for a bounded time instead.
const goneWithin = (pid: number): Promise<void> => until(() => processGone(pid), `process ${pid} gone`, 2000);

t.test('COMMAND: exit code is the result; task env overlaid with the CommandInfo env; task cwd', async (t) => {
  const dir = tmp(t);
  const ok = await probeCommand(cmd({ value: 'echo "$FROM_TASK $SHARED $(pwd)"; exit 0', environment: { variables: [{ name: 'SHARED', value: 'check' }] } }), { signal: never(), ...base(dir) });
  t.same(ok, { kind: 'result', result: { type: 'COMMAND', exitCode: 0, outputTail: `task check ${dir}\n` } });
  const two = await probeCommand(cmd({ value: 'echo failing >&2; exit 2' }), { signal: never(), ...base(dir) });
  t.same(two, { kind: 'result', result: { type: 'COMMAND', exitCode: 2, outputTail: 'failing\n' } });
  const argv = await probeCommand(cmd({ shell: false, value: '/bin/sh', arguments: ['sh', '-c', 'exit 7'] }), { signal: never(), ...base(dir) });
  t.match(argv, { kind: 'result', result: { exitCode: 7 } }, 'exec form: value with arguments as argv');
  const stdin = await probeCommand(cmd({ value: 'cat; echo "eof $?"' }), { signal: never(), ...base(dir) });
  t.match(stdin, { kind: 'result', result: { exitCode: 0, outputTail: 'eof 0\n' } }, 'stdin is /dev/null');
});

t.test('COMMAND: signal death and spawn failure are errors; output tail bounded to 4 KiB', async (t) => {
  const dir = tmp(t);
  t.same(await probeCommand(cmd({ value: 'kill -9 $$' }), { signal: never(), ...base(dir) }), { kind: 'error', code: 'SIGNAL', message: 'command terminated by SIGKILL (exit code 137)', outputTail: '' });
  t.match(await probeCommand(cmd({ shell: false, value: '/no/such/binary' }), { signal: never(), ...base(dir) }), { kind: 'error', code: 'SPAWN', message: /^failed to run "\/no\/such\/binary": ENOENT/ });
  const big = await probeCommand(cmd({ value: 'head -c 100000 /dev/zero | tr "\\0" x; echo END' }), { signal: never(), ...base(dir) });
  const tail = (big as { result: { outputTail: string } }).result.outputTail;
  t.equal(tail.length, 4096);
  t.ok(tail.endsWith('xEND\n'));
  const ring = new OutputTail(4);
  ring.push(Buffer.from('abcdef'));
  ring.push(Buffer.from('gh'));
  t.equal(ring.toString(), 'efgh');
});

t.test('COMMAND: a timeout kills the whole group, sleeping grandchild included, by PID', async (t) => {
  const dir = tmp(t);
  const pidFile = join(dir, 'grandchild.pid');
  let childPid = 0;
  let probePromise: Promise<ProbeOutcome> | undefined;
  const outcome = await new Promise<ProbeOutcome>((resolve) => {
    const scheduler = new CheckScheduler({ clock: systemClock });
    const entry = scheduler.add(
      {
        run: (signal) =>
          (probePromise = probeCommand(cmd({ value: `sleep 1000 & echo $! > ${pidFile}; echo started; sleep 1000` }), {
            signal,
            ...base(dir),
            onSpawn: (pid) => (childPid = pid),
          })),
        onOutcome: (o) => {
          entry.stop();
          resolve(o);
        },
      },
      { delayMs: 0, intervalMs: 1000, timeoutMs: 500 },
    );
  });
  t.same(outcome, { kind: 'error', code: 'TIMEOUT', message: 'timed out after 500ms' });
  const settled = await probePromise!;
  t.match(settled, { kind: 'error', code: 'ABORTED' }, 'the probe itself settles once the group is dead');
  const grandchild = Number(readFileSync(pidFile, 'utf8'));
  t.ok(childPid > 0 && grandchild > 0);
  await goneWithin(childPid);
  t.pass(`child ${childPid} gone`);
  await goneWithin(grandchild);
  t.pass(`grandchild ${grandchild} gone`);
});

t.test('COMMAND: background processes left behind by a finished command are killed', async (t) => {
  const dir = tmp(t);
  const o = await probeCommand(cmd({ value: 'sleep 1000 & echo $!' }), { signal: never(), ...base(dir) });
  t.match(o, { kind: 'result', result: { exitCode: 0 } });
  const pid = Number((o as { result: { outputTail: string } }).result.outputTail.trim());
  await goneWithin(pid);
  t.pass(`background sleep ${pid} gone`);
});
