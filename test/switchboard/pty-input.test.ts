// Input to a terminal through the real wire: what happens when the program does not read
// (flow control, no spinning) and when the session has already ended (Mesos answers 200).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../common/logger.js';
import { signalGroup } from '../../common/process.js';
import { RealProcessLauncher } from '../../executor/process-launcher.js';
import { containerIdText } from '../../switchboard/container-id.js';
import { stdinRecord } from '../../switchboard/client.js';
import { collect, ENCODINGS, sessionId, sessionOpener, startFixture, until } from './harness.js';

const NOT_READING = 'stty raw -echo; echo ready; sleep 900';

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: terminal input`, async (t) => {
    const fx = await startFixture(t);
    const task = fx.task('web', 'sleep 1000');
    const open = sessionOpener(fx, encoding);

    await t.test('EOT and the empty STDIN record after the session ended: 200, not 500', async (t) => {
      const id = sessionId(task);
      const s = await open(id, { value: 'read line; echo "got:$line"' }, {});
      const input = fx.client.openInput(id, encoding);
      await input.send(stdinRecord('bye\n'));
      const out = await collect(s.records);
      t.match(out.stdout.toString(), 'got:bye');
      // What the CLI sends when its own stdin closes, after the process is already gone.
      await input.send(stdinRecord('\x04'));
      await input.send(stdinRecord(''));
      input.end();
      const answer = await input.response;
      t.equal(answer.status, 200, `input answered ${answer.status} ${answer.body}`);
    });

    await t.test('5 MiB to a TTY program that does not read: no spin, body not read ahead, no growth', async (t) => {
      const id = sessionId(task);
      const s = await open(id, { value: NOT_READING }, {});
      let ready = false;
      const out = collect(s.records, (text) => (ready ||= text.includes('ready')));
      await until(() => ready, 'the program to set raw mode and print ready');
      const input = fx.client.openInput(id, encoding);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      // Queued in the client without waiting: the server decides how much it reads.
      for (let i = 0; i < 80; i++) void input.send(stdinRecord(chunk));
      // Let the terminal fill up and the writer settle into its back-off.
      await until(() => fx.logs.some((l) => l.msg === 'attach-input started'), 'the input stream to attach');
      await new Promise((r) => setTimeout(r, 300));
      const cpu0 = process.cpuUsage();
      const rss0 = process.memoryUsage.rss();
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, 1000));
      const cpu = process.cpuUsage(cpu0);
      const busy = (cpu.user + cpu.system) / 1000 / (performance.now() - t0);
      const grown = (process.memoryUsage.rss() - rss0) / 2 ** 20;
      t.ok(busy < 0.1, `CPU while the terminal is full: ${(busy * 100).toFixed(1)}% of a core (bound 10%; the retry-every-turn writer used 23-35%)`);
      t.ok(grown < 16, `RSS grew ${grown.toFixed(1)} MiB in that second (bound 16 MiB)`);
      // The client drops the session; the session's audit line says how much input it took
      // (the input connection itself is not read while the terminal is full, so it only
      // ends with the session).
      s.destroy();
      await out.catch(() => {});
      const isEnd = (l: { msg: string; container?: unknown }) => l.msg === 'session ended' && l.container === containerIdText(id);
      await until(() => fx.logs.some(isEnd), 'the session to end');
      const ended = fx.logs.find(isEnd)!;
      t.ok((ended.bytes_in as number) < 2 * 2 ** 20, `${ended.bytes_in} of 5 MiB taken from the body while the terminal was full (bound 2 MiB)`);
      input.destroy();
    });
  });
}

t.test("a TTY task's terminal input (executor launcher) resolves only once the program reads", async (t) => {
  const sandbox = mkdtempSync(path.join(tmpdir(), 'sb-ptyin-'));
  const logger = createLogger({ name: 'pty-input', level: 'silent' });
  // Reads nothing until SIGUSR1, then swallows everything.
  const launched = await new RealProcessLauncher().launch({
    taskId: 'deaf',
    command: { value: `stty raw -echo; trap 'exec cat >/dev/null' USR1; echo ready; sleep 900 & wait` },
    environment: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    workingDirectory: sandbox,
    tty: { columns: 80, rows: 24 },
    logger,
  });
  t.teardown(async () => {
    signalGroup(launched.pid, 'SIGKILL');
    await launched.exited;
    rmSync(sandbox, { recursive: true, force: true });
  });
  let text = '';
  launched.tty!.onData((c) => (text += c.toString()));
  await until(() => text.includes('ready'), 'the task to print ready');
  let written = false;
  const write = launched.tty!.write(Buffer.alloc(1024 * 1024, 0x62));
  t.type(write, Promise, 'write() hands back a promise: the input stream awaits it');
  void Promise.resolve(write).then(() => (written = true));
  // 1 MiB cannot fit in a terminal's input buffer: still pending after several retries.
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 20));
  t.notOk(written, 'not resolved while the program does not read');
  process.kill(launched.pid, 'SIGUSR1');
  await write;
  t.pass('resolved once the program reads');
});
