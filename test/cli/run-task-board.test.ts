import t from 'tap';
import { TaskBoard } from '../../cli/task-board.js';
import type { mesos } from '../../proto/codec.js';

const task = (id: string, tty = false): mesos.TaskInfo => ({
  name: id,
  task_id: { value: id },
  agent_id: { value: 'A' },
  ...(tty ? { container: { type: 'MESOS' as const, tty_info: {} } } : {}),
});
const status = (id: string, state: mesos.TaskState): mesos.TaskStatus => ({ task_id: { value: id }, state });

t.test('allTerminal resolves once every task is terminal; later updates change nothing', async (t) => {
  const board = new TaskBoard([task('a'), task('b')]);
  let done = false;
  void board.allTerminal.then(() => (done = true));
  board.record(status('a', 'TASK_RUNNING'));
  board.record(status('a', 'TASK_FINISHED'));
  board.record(status('zzz', 'TASK_FAILED')); // not ours: ignored
  await Promise.resolve();
  t.notOk(done);
  t.same(board.live(), ['b']);
  board.record(status('b', 'TASK_FINISHED'));
  await board.allTerminal;
  board.record(status('b', 'TASK_RUNNING')); // after terminal: ignored
  t.equal(board.summary(), 'a TASK_FINISHED, b TASK_FINISHED');
  t.equal(board.exitCode(false), 0);
});

t.test('exit status: 0 for FINISHED, and for KILLED only when the user asked', async (t) => {
  const board = new TaskBoard([task('a'), task('b')]);
  board.record(status('a', 'TASK_FINISHED'));
  board.record(status('b', 'TASK_KILLED'));
  t.equal(board.exitCode(true), 0);
  t.equal(board.exitCode(false), 1);
  const failed = new TaskBoard([task('c')]);
  failed.record(status('c', 'TASK_FAILED'));
  t.equal(failed.exitCode(true), 1);
  const unfinished = new TaskBoard([task('d')]);
  t.equal(unfinished.exitCode(true), 1, 'a task that never ended is not a success');
});

t.test('TTY tasks are known', async (t) => {
  const board = new TaskBoard([task('a', true), task('b')]);
  t.ok(board.hasTty('a'));
  t.notOk(board.hasTty('b'));
});

t.test('the exec hint: once per task, only while it runs, never after it ended', async (t) => {
  // Each step: the update recorded, then whether a hint may be printed for it.
  const steps: Array<[id: string, state: mesos.TaskState, hint: boolean, why: string]> = [
    ['a', 'TASK_STARTING', false, 'not running yet'],
    ['a', 'TASK_RUNNING', true, 'first RUNNING'],
    ['a', 'TASK_RUNNING', false, 'healthy=true is another RUNNING: no second hint'],
    ['b', 'TASK_FINISHED', false, 'ended'],
    ['b', 'TASK_RUNNING', false, 'a RUNNING after the terminal update: still ended'],
    ['c', 'TASK_RUNNING', true, 'each task gets its own'],
    ['zzz', 'TASK_RUNNING', false, 'not ours'],
  ];
  const board = new TaskBoard([task('a'), task('b'), task('c')]);
  for (const [id, state, hint, why] of steps) {
    board.record(status(id, state));
    t.equal(board.takeExecHint(id), hint, `${id} ${state}: ${why}`);
  }
});
