// A task whose ContainerInfo has tty_info runs under a real PTY (node-pty): output lands in
// the sandbox stdout file, and the TtyTap of task-view.ts sees it live and can type.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { systemClock } from '../../common/clock.js';
import type { mesos } from '../../proto/codec.js';
import { ENCODINGS, shellTask, startExecutor, startInProcessExecutor, uniqueId } from '../helpers/tasks.js';

const tty = (rows: number, columns: number): mesos.ContainerInfo => ({ type: 'MESOS', tty_info: { window_size: { rows, columns } } });

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: a TTY task sees a terminal of the requested size; its output goes to the sandbox`, async (t) => {
    const { agent } = await startExecutor(t, encoding);
    const id = uniqueId('tty');
    agent.launch(shellTask(id, 'tty; stty size; echo done', { container: tty(30, 100) }));
    t.equal((await agent.waitForTerminal(id)).state, 'TASK_FINISHED');
    const out = readFileSync(path.join(agent.sandbox, 'tasks', id, 'stdout'), 'utf8');
    t.match(out, /^\/dev\/pts\/\d+\r?\n30 100\r?\ndone/);
  });
}

t.test('the TtyTap streams live output and types into the task', async (t) => {
  const { agent, executor, exited } = await startInProcessExecutor(t, 'json', {}, { clock: systemClock });
  const id = uniqueId('interactive');
  // Live output only (no replay): the task waits for input, so nothing is missed.
  agent.launch(shellTask(id, 'read line; echo "got $line"; stty size', { container: tty(24, 80) }));
  const running = await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
  const view = executor.taskByContainerId(running.container_status!.container_id!.value)!;
  t.ok(view.tty, 'a TTY task exposes its terminal');
  let seen = '';
  const ended = new Promise<void>((resolve) => view.tty!.onEnd(resolve));
  view.tty!.onData((chunk) => (seen += chunk.toString()));
  view.tty!.resize(120, 40);
  view.tty!.write('hello\r');
  t.equal((await agent.waitForTerminal(id)).state, 'TASK_FINISHED');
  await ended;
  t.match(seen, /got hello/, 'the typed line came back');
  t.match(seen, /40 120/, 'the resize reached the terminal');
  t.match(readFileSync(path.join(agent.sandbox, 'tasks', id, 'stdout'), 'utf8'), /got hello/, 'and is in the sandbox stdout');
  t.equal(view.waitStatus, 0);
  t.equal(await exited, 0);
});
