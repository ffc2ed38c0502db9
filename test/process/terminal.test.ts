// The one PTY module with real terminals: the output read to the end through a slow sink,
// the end reported once after the sink flushed, the group killed at exit, the exit status.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { spawnTerminal, type TerminalExit, type TerminalSpawn } from '../../process/terminal.js';
import { tapTerminal } from '../../process/tty-tap.js';
import { processGone, until, within } from '../helpers/wait.js';

function sh(command: string, cwd: string): TerminalSpawn {
  return { file: '/bin/sh', args: ['-c', command], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, cwd, columns: 80, rows: 24 };
}

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'terminal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a sink that is always full: file and live listeners get the same bytes, then one end', async (t) => {
  const dir = tempDir(t);
  const size = 300_000;
  const terminal = spawnTerminal(sh(`head -c ${size} /dev/zero | tr '\\0' x`, dir));
  // A sink that is full after every chunk: the terminal is paused and resumed throughout.
  const written: Buffer[] = [];
  const sink = new Writable({ highWaterMark: 1, write: (chunk: Buffer, _e, done) => { written.push(chunk); setImmediate(done); } });
  const { tap, exited } = tapTerminal(terminal, sink);
  let live = 0;
  let dataAfterEnd = false;
  let ended = 0;
  tap.onData((chunk) => {
    live += chunk.length;
    if (ended > 0) dataAfterEnd = true;
  });
  tap.onEnd(() => ended++);
  const exit = await exited;
  t.equal(exit.waitStatus, 0);
  // Every byte: libuv takes a POLLHUP after a short read for EOF while the kernel still holds
  // the last few KB; before pty-drain.ts read that tail, this lost it about 1 run in 2.
  const file = Buffer.concat(written);
  t.ok(file.length === size && /^x+$/.test(file.toString()), `the sink got all the output (${file.length} of ${size} bytes)`);
  t.equal(live, file.length, 'the live listener saw exactly what the sink got');
  t.equal(ended, 1, 'the end is reported once');
  t.notOk(dataAfterEnd, 'no data after the end');
  const late = await new Promise<boolean>((resolve) => tap.onEnd(() => resolve(true)));
  t.ok(late, 'a listener added after the end is called too');
  t.resolves(tap.write('dropped\n'), 'input after the end is accepted and dropped');
  tap.resize(100, 40); // after the exit: ignored, not a throw
});

t.test('exit statuses as wait(2) statuses; the group dies with the command', async (t) => {
  const dir = tempDir(t);
  const pidFile = path.join(dir, 'bg.pid');
  const terminal = spawnTerminal(sh(`sleep 1000 & echo $! > ${pidFile}; exit 3`, dir));
  const exit = await new Promise((resolve) => terminal.onExit(resolve));
  t.same(exit, { code: 3, signal: null, waitStatus: 3 << 8 });
  const bg = Number(readFileSync(pidFile, 'utf8'));
  await until(() => processGone(bg), `background sleep ${bg} killed with the terminal's group`);

  const killed = spawnTerminal(sh('kill -9 $$', dir));
  t.same(await new Promise((resolve) => killed.onExit(resolve)), { code: null, signal: 9, waitStatus: 9 });
});

t.test('a command that closes its terminal before it exits is not hung up (killed by SIGHUP) meanwhile', async (t) => {
  // Every slave fd closed makes the master read EIO while the command still runs; closing
  // the master then hangs the terminal up, and the kernel's SIGHUP killed the command. The
  // CLI test caught it as `exec -t TASK -- cat` ending with 129 about 1 run in 20: cat
  // closes its stdio on the way out.
  const dir = tempDir(t);
  const terminal = spawnTerminal(sh('echo before; exec 0<&- 1>&- 2>&-; sleep 0.3; exit 4', dir));
  let out = '';
  terminal.onData((c) => (out += c.toString()));
  t.same(await new Promise((resolve) => terminal.onExit(resolve)), { code: 4, signal: null, waitStatus: 4 << 8 }, 'its own exit status, not SIGHUP');
  t.match(out, 'before', 'the output written before the close is read');
});

t.test('input reaches the command with backpressure; a 0 x 0 size is ignored', async (t) => {
  const dir = tempDir(t);
  const terminal = spawnTerminal(sh('stty -echo; read line; echo "got $line"; stty size', dir));
  let out = '';
  terminal.onData((c) => (out += c.toString()));
  const exited = new Promise((resolve) => terminal.onExit(resolve));
  terminal.resize(0, 0);
  terminal.resize(100, 40);
  await terminal.write(Buffer.from('hello\n'));
  t.same(await exited, { code: 0, signal: null, waitStatus: 0 });
  t.match(out, 'got hello');
  t.match(out, '40 100', 'the last usable size is the terminal\'s');
});

t.test('an unknown executable under a terminal is a LaunchError naming it', async (t) => {
  const dir = tempDir(t);
  // node-pty forks first and reports a failing exec as the child's exit (status 1).
  try {
    const terminal = spawnTerminal({ ...sh('', dir), file: path.join(dir, 'missing'), args: [] });
    const exit = await new Promise<TerminalExit>((resolve) => terminal.onExit(resolve));
    t.not(exit.code, 0, 'exec failure is a non-zero exit');
  } catch (err) {
    t.match(err, { code: 'E_LAUNCH', message: /Failed to execute '.*missing' under a terminal/ });
  }
});

t.test('onExit after the exit: the listener still hears how it ended (a container hands its terminal over late)', async (t) => {
  const term = spawnTerminal({ file: '/bin/sh', args: ['-c', 'exit 3'], env: { PATH: '/usr/bin:/bin' }, cwd: tmpdir(), columns: 80, rows: 24 });
  term.onData(() => {});
  const first = await new Promise<TerminalExit>((resolve) => term.onExit(resolve));
  const late = await within(new Promise<TerminalExit>((resolve) => term.onExit(resolve)), 5_000, 'the late onExit listener to be called');
  t.same(late, first);
  t.equal(late.waitStatus, 3 << 8);
});
