// The task state machine: every action from every phase, legal (the phase it leads to) or
// refused (a TaskTransitionError naming the task, the phase and the action).
import t from 'tap';
import { ManualClock } from '../../common/clock.js';
import { KillEscalation } from '../../executor/kill-policy.js';
import type { LaunchedProcess } from '../../executor/process-launcher.js';
import { Task, TaskTransitionError, type TaskAction, type TaskPhase } from '../../executor/task.js';
import { parseTaskSpec } from '../../executor/task-spec.js';
import type { KillRequest } from '../../executor/kill-cause.js';
import { shellTask } from '../helpers/tasks.js';

const clock = new ManualClock();
const process: LaunchedProcess = { pid: 4242, exited: new Promise(() => {}), kill: () => {}, destroy: () => {} };
const scheduler = (graceMs: number): KillRequest => ({ graceMs, cause: { kind: 'scheduler' } });

function newTask(): Task {
  const parsed = parseTaskSpec(shellTask('t1', 'sleep 1'), { contentType: 'application/json' });
  if (!parsed.ok) throw parsed.error;
  return new Task({ identity: parsed.spec, spec: parsed.spec, containerId: { value: 'c1' }, environment: {}, workingDirectory: '/sb', launchedAt: 0 });
}

/** A task brought to `phase` through legal moves only. */
function taskIn(phase: TaskPhase['kind']): Task {
  const task = newTask();
  if (phase === 'starting') return task;
  task.start(process);
  if (phase === 'running') return task;
  if (phase === 'killing') {
    task.kill(new KillEscalation(clock, 1000, () => {}), scheduler(1000));
    return task;
  }
  task.terminate('TASK_FINISHED', 0);
  return task;
}

const act: Record<TaskAction, (task: Task) => unknown> = {
  start: (task) => task.start(process),
  'defer-kill': (task) => task.deferKill(scheduler(500)),
  kill: (task) => task.kill(new KillEscalation(clock, 1000, () => {}), scheduler(1000)),
  'shorten-kill': (task) => task.shortenKill(10),
  terminate: (task) => task.terminate('TASK_KILLED', 15),
};

// [from, action, the phase after it, or 'refused']
const table: Array<[TaskPhase['kind'], TaskAction, TaskPhase['kind'] | 'refused']> = [
  ['starting', 'start', 'running'],
  ['starting', 'defer-kill', 'starting'],
  ['starting', 'kill', 'refused'],
  ['starting', 'shorten-kill', 'refused'],
  ['starting', 'terminate', 'terminated'],
  ['running', 'start', 'refused'],
  ['running', 'defer-kill', 'refused'],
  ['running', 'kill', 'killing'],
  ['running', 'shorten-kill', 'refused'],
  ['running', 'terminate', 'terminated'],
  ['killing', 'start', 'refused'],
  ['killing', 'defer-kill', 'refused'],
  ['killing', 'kill', 'refused'],
  ['killing', 'shorten-kill', 'killing'],
  ['killing', 'terminate', 'terminated'],
  ['terminated', 'start', 'refused'],
  ['terminated', 'defer-kill', 'refused'],
  ['terminated', 'kill', 'refused'],
  ['terminated', 'shorten-kill', 'refused'],
  ['terminated', 'terminate', 'refused'],
];

t.test('every action from every phase', async (t) => {
  t.equal(table.length, 4 * Object.keys(act).length, 'the table is complete');
  for (const [from, action, to] of table) {
    const task = taskIn(from);
    const name = `${from} --${action}-->`;
    if (to === 'refused') {
      t.throws(() => act[action](task), new TaskTransitionError('t1', from, action), `${name} refused`);
      t.equal(task.phase.kind, from, `${name} leaves the phase as it was`);
    } else {
      act[action](task);
      t.equal(task.phase.kind, to, `${name} ${to}`);
    }
  }
});

t.test('the refusal says which task, from where and what', async (t) => {
  const task = taskIn('terminated');
  t.throws(() => task.terminate('TASK_FAILED', 1), { code: 'E_TASK_TRANSITION', message: "task 't1': cannot terminate a task that is terminated" }, 'a second terminal update cannot be produced');
  t.throws(() => task.start(process), { message: "task 't1': cannot start a task that is terminated" });
});

t.test('a kill deferred while starting comes back from start(); the shortest grace wins', async (t) => {
  const task = newTask();
  task.deferKill(scheduler(3000));
  task.deferKill({ graceMs: 100, cause: { kind: 'shutdown' } });
  task.deferKill(scheduler(2000));
  t.strictSame(task.start(process), { graceMs: 100, cause: { kind: 'shutdown' } });
  t.equal(task.pid, 4242);
  t.equal(newTask().start(process), undefined, 'no kill pending');
});

t.test('terminate: cancels the escalation, records state and wait status, resolves exited, drops the spec', async (t) => {
  const task = taskIn('running');
  let escalated = 0;
  task.kill(new KillEscalation(clock, 50, () => escalated++), scheduler(50));
  t.ok(task.spec, 'a live task has its spec');
  task.terminate('TASK_KILLED', 15);
  clock.advance(100);
  t.equal(escalated, 0, 'no SIGKILL after the task is gone');
  t.equal(task.waitStatus, 15);
  t.equal(task.pid, undefined);
  t.equal(task.spec, undefined);
  t.ok(task.terminated);
  await task.exited;
});

t.test('a task refused at the edge starts out terminated', async (t) => {
  const parsed = parseTaskSpec((({ command: _, ...rest }) => rest)(shellTask('bad', 'x')), { contentType: 'application/json' });
  t.notOk(parsed.ok);
  if (parsed.ok) return;
  const task = new Task({ identity: parsed.identity, refused: parsed.error.state, containerId: { value: 'c2' }, environment: {}, workingDirectory: '/sb', launchedAt: 0 });
  t.equal(task.phase.kind, 'terminated');
  t.equal(task.spec, undefined);
  await task.exited;
  t.throws(() => task.start(process), TaskTransitionError);
});
