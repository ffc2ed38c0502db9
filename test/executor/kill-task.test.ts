// One task's kill in steps on a ManualClock, with the signals and TASK_KILLING recorded
// instead of sent: SIGTERM then SIGKILL at the grace, a repeated kill only shortening it,
// a kill while starting deferred, nothing for a terminated task.
import t from 'tap';
import { ManualClock } from '../../common/clock.js';
import type { TaskCheckRunner } from '../../contracts/checks.js';
import type { KillRequest } from '../../executor/kill-cause.js';
import { killTask, type KillEffects } from '../../executor/kill-task.js';
import type { LaunchedProcess } from '../../executor/process-launcher.js';
import { Task } from '../../executor/task.js';
import { parseTaskSpec } from '../../executor/task-spec.js';
import { quietLogger, shellTask } from '../helpers/tasks.js';

function setup() {
  const clock = new ManualClock(1_000);
  const events: string[] = [];
  const effects: KillEffects = {
    clock,
    log: quietLogger(),
    onKilling: (task, request) => void events.push(`KILLING ${task.taskId} ${request.cause.kind}`),
  };
  const parsed = parseTaskSpec(shellTask('k1', 'sleep 60'), { contentType: 'application/json' });
  if (!parsed.ok) throw parsed.error;
  const task = new Task({ identity: parsed.spec, spec: parsed.spec, containerId: { value: 'c' }, environment: {}, workingDirectory: '/sb', launchedAt: 0 });
  const process: LaunchedProcess = {
    pid: 77,
    exited: new Promise(() => {}),
    kill: (signal) => void events.push(`${signal} 77@${clock.now()}`),
    destroy: () => void events.push(`destroy 77@${clock.now()}`),
  };
  return { clock, events, effects, task, process };
}
const scheduler = (graceMs: number): KillRequest => ({ graceMs, cause: { kind: 'scheduler' } });

t.test('running: checks paused, TASK_KILLING, SIGTERM now, SIGKILL at the grace, once', async (t) => {
  const { clock, events, effects, task, process } = setup();
  task.start(process);
  let paused = 0;
  task.checks = { pause: () => void paused++, resume: () => {}, stop: () => {}, describeKill: () => '', resetHealthFailures: () => {} } satisfies TaskCheckRunner;
  killTask(task, scheduler(3000), effects);
  t.equal(paused, 1);
  t.strictSame(events, ['KILLING k1 scheduler', 'SIGTERM 77@1000']);
  t.equal(task.phase.kind, 'killing');
  clock.advance(2999);
  t.equal(events.length, 2, 'no SIGKILL before the grace is over');
  clock.advance(1);
  t.strictSame(events.slice(2), ['destroy 77@4000']);
  clock.advance(60_000);
  t.equal(events.length, 3, 'once');
});

t.test('a repeated kill may only bring SIGKILL forward, counted from the first SIGTERM', async (t) => {
  const { clock, events, effects, task, process } = setup();
  task.start(process);
  killTask(task, scheduler(10_000), effects);
  clock.advance(1000);
  killTask(task, scheduler(20_000), effects);
  killTask(task, scheduler(4000), effects);
  t.equal(events.filter((e) => e.startsWith('SIGTERM')).length, 1, 'SIGTERM once');
  clock.advance(2999);
  t.notOk(events.some((e) => e.startsWith('destroy')));
  clock.advance(1);
  t.ok(events.includes('destroy 77@5000'), 'start + 4 s');
  t.equal(task.phase.kind === 'killing' && task.phase.request.cause.kind, 'scheduler', 'the first cause is kept');
});

t.test('starting: deferred (shortest grace kept), applied by the executor once the process exists', async (t) => {
  const { events, effects, task } = setup();
  killTask(task, scheduler(5000), effects);
  killTask(task, { graceMs: 0, cause: { kind: 'max-completion' } }, effects);
  t.strictSame(events, [], 'no signal: there is no process yet');
  t.strictSame(task.phase.kind === 'starting' && task.phase.pendingKill, { graceMs: 0, cause: { kind: 'max-completion' } });
});

t.test('any kill clears the max_completion_time timer; a terminated task is left alone', async (t) => {
  const { clock, events, effects, task, process } = setup();
  task.start(process);
  let fired = 0;
  task.completionTimer = clock.setTimeout(() => fired++, 10);
  task.terminate('TASK_FINISHED', 0);
  killTask(task, scheduler(0), effects);
  clock.advance(100);
  t.equal(fired, 0);
  t.strictSame(events, []);
  t.equal(task.phase.kind, 'terminated');
});
