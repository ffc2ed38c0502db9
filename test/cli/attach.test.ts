// `mesos-sidecar attach` exits with the task's status when the task ends while attached:
// the real `run` (agent emulator + executor, whose switchboard goes away with the
// executor right after its last task) and the real attach CLI under a node-pty terminal.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { signalGroup } from '../../common/process.js';
import { Terminal, wrap } from '../helpers/cli.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = path.join(root, 'bin', 'mesos-sidecar');

/** `mesos-sidecar run FILE` until it prints the attach hint; resolves with the hint's arguments. */
async function runTask(t: Test, file: string): Promise<string> {
  const env: NodeJS.ProcessEnv = {};
  // Without tap's hooks, which would otherwise follow `run` into the executor.
  for (const [k, v] of Object.entries(process.env)) if (k !== 'NODE_OPTIONS' && !k.startsWith('_TAPJS_') && !k.startsWith('TAP')) env[k] = v;
  env.MESOS_SIDECAR_LOG_LEVEL = 'warn';
  // detached: its own process group, so that teardown can end it and its executor.
  const child = spawn(bin, ['run', file], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
  const closed = once(child, 'close');
  let done = false;
  void closed.then(() => (done = true));
  const lines: string[] = [];
  child.stderr!.resume();
  t.teardown(async () => {
    if (done) return;
    signalGroup(child.pid!, 'SIGINT');
    await closed;
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const hint = /^==> attach to its terminal: \S+ attach (.*)$/.exec(line);
      if (hint) resolve(hint[1]!);
    });
    void closed.then(() => reject(new Error(`run exited before its attach hint:\n${lines.join('\n')}`)));
  });
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'attach-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('Ctrl-C reaches the task: attach says it was killed by SIGINT and exits 130', async (t) => {
  const args = await runTask(t, path.join(root, 'examples', 'tty-task.json'));
  const taskId = args.split(' ').at(-1)!;
  const term = new Terminal(wrap(`attach ${args}`), { MESOS_SIDECAR_LOG_LEVEL: 'silent' });
  t.teardown(() => term.term.kill('SIGKILL'));
  term.term.write('hi\r');
  await term.expect('you typed: hi');
  term.term.write('\x03');
  t.equal((await term.cliExit()).code, 130, '128 + SIGINT');
  t.match(term.text, `mesos-sidecar attach: task ${taskId} ended: killed by signal SIGINT`, 'one line saying how the task ended');
  t.notMatch(term.text, /ECONNRESET|cut off/, 'not reported as a connection error');
});

t.test('the task exits with a code while attached: attach exits with that code', async (t) => {
  const file = path.join(tempDir(t), 'reader.json');
  writeFileSync(file, JSON.stringify({ name: 'reader', container: { type: 'MESOS', tty_info: {} }, command: { value: 'echo ready; read n; exit "$n"' } }));
  const args = await runTask(t, file);
  const term = new Terminal(wrap(`attach ${args}`), { MESOS_SIDECAR_LOG_LEVEL: 'silent' });
  t.teardown(() => term.term.kill('SIGKILL'));
  // Typed before the CLI is ready, the line waits in the local terminal until it reads it.
  term.term.write('5\r');
  t.equal((await term.cliExit()).code, 5);
  t.match(term.text, /task reader\.\S+ ended: exit status 5/);
});
