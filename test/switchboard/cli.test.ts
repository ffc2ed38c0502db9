// The exec/attach CLI end to end under a real terminal (a node-pty harness): raw mode
// in and restored, window size and SIGWINCH, echo, detach, exit statuses, signals.
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, Terminal, wrap } from '../helpers/cli.js';
import { cliEnv, processGone, startFixture, until } from './harness.js';


t.test('exec -it: terminal size, resize, echo, exit status, raw mode restored', async (t) => {
  const fx = await startFixture(t);
  fx.task('web', 'sleep 1000');
  const term = new Terminal(wrap('exec -it web -- /bin/sh'), cliEnv(fx));
  t.teardown(() => term.term.kill('SIGKILL'));
  term.term.write('stty size; tty; echo "[$TASK_MARKER]"\r');
  await term.expect('[marker-web]');
  t.match(term.text, /30 100\r+\n\/dev\/pts\/\d+/, 'remote terminal has the local window size');
  t.match(term.text, 'stty size; tty;', 'typed input echoed by the remote terminal');
  term.term.resize(120, 40);
  // SIGWINCH and keystrokes race inside the CLI; type once the new size has arrived.
  await until(() => fx.logs.some((l) => l.msg === 'window size set' && l.columns === 120 && l.rows === 40), 'the TTY_INFO of the resize');
  await term.type('stty size\r', '40 120');
  t.pass('SIGWINCH -> TTY_INFO resized the remote terminal');
  term.term.write('exit 7\r');
  const end = await term.cliExit();
  t.equal(end.code, 7, 'remote exit status is the CLI exit code');
  t.notMatch(end.modes, /-icanon|-echo\b|-isig/, 'canonical mode, echo and signals are back');
  t.match(end.modes, /icanon/);
});

t.test('exec exit codes: 0, 1, 137 for SIGKILL; stdin EOF; stderr separate', async (t) => {
  const fx = await startFixture(t);
  fx.task('web', 'sleep 1000');
  const run = (args: string[], input?: string) => runCli(args, cliEnv(fx), input);
  t.equal((await run(['exec', 'web', '--', 'sh', '-c', 'exit 0'])).code, 0);
  t.equal((await run(['exec', 'web', '--', 'sh', '-c', 'exit 1'])).code, 1);
  t.equal((await run(['exec', 'web', '--', 'sh', '-c', 'kill -9 $$'])).code, 137, 'SIGKILL -> 128+9');
  const cat = await run(['exec', '-i', 'web', '--', 'sh', '-c', 'tr a-z A-Z; echo oops >&2'], 'hello\n');
  t.equal(cat.code, 0, 'stdin EOF reached the remote command');
  t.equal(cat.stdout, 'HELLO\n');
  t.equal(cat.stderr, 'oops\n');
  const payload = randomBytes(5 * 1024 * 1024);
  writeFileSync(path.join(fx.sandbox, 'big.bin'), payload);
  const big = await run(['exec', 'web', '--', 'cat', 'big.bin']);
  t.equal(big.code, 0);
  t.ok(Buffer.from(big.stdout, 'latin1').equals(payload), '5 MB of random bytes through the CLI, exactly');
  const unknown = await run(['exec', 'nope', '--', 'true']);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, "no task 'nope' on this switchboard (known: web)");
  const noTty = await run(['exec', '-it', 'web', '--', 'true']);
  t.equal(noTty.code, 2, '-it with stdin not a terminal: usage error, as docker\'s "the input device is not a TTY"');
  t.match(noTty.stderr, '-i -t needs a local terminal');
  const badToken = await run(['exec', '--token', 'wrong', 'web', '--', 'true']);
  t.equal(badToken.code, 1);
  t.match(badToken.stderr, 'switchboard answered GET /tasks with 401');
});

t.test('attach: sees output, types into the task, detaches with Ctrl-P Ctrl-Q', async (t) => {
  const fx = await startFixture(t);
  const task = fx.task('shell', 'while read line; do echo "task got $line"; done', { tty: true });
  fx.task('plain', 'sleep 1000');
  const term = new Terminal(wrap('attach shell'), cliEnv(fx));
  t.teardown(() => term.term.kill('SIGKILL'));
  // Typed before the CLI is ready, the line waits in the local terminal until it reads it.
  await term.type('ping\r', 'task got ping');
  t.pass('typed line reached the task and its output came back');
  term.term.write('\x10\x11');
  const detached = await term.cliExit();
  t.equal(detached.code, 0, 'detach exits 0');
  t.notMatch(detached.modes, /-icanon|-echo\b/, 'terminal restored after detach');
  t.notOk(task.terminated, 'the task keeps running after a detach');

  const plain = new Terminal(wrap('attach plain'), cliEnv(fx));
  t.teardown(() => plain.term.kill('SIGKILL'));
  t.equal((await plain.cliExit()).code, 1);
  t.match(plain.text, 'Unable to attach to a task launched without a TTY');
});

/** `exec -it` into a task, the remote command a sleep that printed its pid first. */
async function execRemoteSleep(t: Test) {
  const fx = await startFixture(t);
  fx.task('web', 'sleep 1000');
  const term = new Terminal(wrap("exec -it web -- sh -c 'echo pid=$$; exec sleep 1000'"), cliEnv(fx));
  t.teardown(() => term.term.kill('SIGKILL'));
  const pid = Number((await term.expect(/pid=\d+/)).slice(4));
  return { fx, term, pid };
}

t.test('a signal to the CLI restores the terminal and kills the session', async (t) => {
  const { term, pid } = await execRemoteSleep(t);
  process.kill(term.cliPid(), 'SIGTERM');
  const end = await term.cliExit();
  t.equal(end.code, 143, '128 + SIGTERM');
  t.notMatch(end.modes, /-icanon|-echo\b|-isig/, 'terminal restored on the signal path');
  await until(() => processGone(pid), 'the remote sleep to die with the connection');
  t.pass('remote process gone');
});

t.test('an error while the terminal is raw (switchboard gone) restores it', async (t) => {
  const { fx, term, pid } = await execRemoteSleep(t);
  await fx.close();
  const end = await term.cliExit();
  t.equal(end.code, 1);
  t.match(term.text, 'mesos-sidecar exec: the output stream was cut off before its end', 'the CLI says the stream broke');
  t.notMatch(end.modes, /-icanon|-echo\b|-isig/, 'terminal restored on the error path');
  await until(() => processGone(pid), 'the remote sleep to be killed with the switchboard');
  t.pass('remote process gone');
});
