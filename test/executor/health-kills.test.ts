// Held health kills in the executor, on the step harness (fake processes, fake agent,
// ManualClock): debug holds through TaskRegistry.holdHealthKills and the kill-storm guard,
// with the updates, labels, logs, metrics and failure-count resets they cause.
import t from 'tap';
import { parseTaskChecks } from '../../checks/definitions.js';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../common/logger.js';
import type { HealthReport, TaskCheckContext, TaskCheckFactory } from '../../contracts/checks.js';
import { HEALTH_KILL_HOLD_LABEL } from '../../contracts/task-view.js';
import type { mesos } from '../../proto/codec.js';
import { startStepExecutor, type StepHarness } from '../helpers/step-executor.js';
import { killPolicy, shellTask } from '../helpers/tasks.js';

interface Checks {
  factory: TaskCheckFactory;
  contexts: Map<string, TaskCheckContext>;
  calls: Map<string, string[]>;
  metrics: string[];
}

function fakeChecks(): Checks {
  const contexts = new Map<string, TaskCheckContext>();
  const calls = new Map<string, string[]>();
  const metrics: string[] = [];
  const factory: TaskCheckFactory = {
    // The real parsing: the executor tracks the health checks it finds in the definitions.
    parse: (task) => ({ ok: true, definitions: parseTaskChecks(task) }),
    create: (_definitions, context) => {
      const id = context.taskId;
      contexts.set(id, context);
      const record = (call: string) => () => void (calls.get(id) ?? calls.set(id, []).get(id)!).push(call);
      return { pause: record('pause'), resume: record('resume'), stop: record('stop'), describeKill: () => 'HTTP health check failed 3 of 3: status 503', resetHealthFailures: record('reset') };
    },
    healthKillMetrics: { killHeld: (why) => void metrics.push(`held:${why}`), stormDetected: () => void metrics.push('storm') },
  };
  return { factory, contexts, calls, metrics };
}

const checked = (id: string) => shellTask(id, 'sleep 60', { health_check: { type: 'HTTP', http: { port: 1, path: '/' }, interval_seconds: 1, timeout_seconds: 1 }, kill_policy: killPolicy(1_000) });
const failed = (n: number, kill = n >= 3): HealthReport => ({ healthy: false, kill, message: `HTTP health check failed ${n} of 3: status 503` });
const labelOf = (s: mesos.TaskStatus | undefined) => s?.labels?.labels?.find((l) => l.key === HEALTH_KILL_HOLD_LABEL)?.value;

async function harness(): Promise<{ h: StepHarness; checks: Checks; logs: Array<Record<string, unknown>> }> {
  const checks = fakeChecks();
  const logs: Array<Record<string, unknown>> = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => {
    for (const line of c.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  const h = await startStepExecutor({ executor: { checkFactory: checks.factory, logger: createLogger({ name: 'executor', level: 'info', destination: sink }) } });
  return { h, checks, logs };
}

async function report(h: StepHarness, checks: Checks, id: string, r: HealthReport): Promise<mesos.TaskStatus> {
  checks.contexts.get(id)!.reportHealth(r);
  await h.settle();
  return h.terminal(id)!;
}

t.test('a hold keeps a failing task alive and says who holds it until when; released, counting restarts and the next threshold kills', async (t) => {
  const { h, checks, logs } = await harness();
  await h.launch(checked('debugged'));
  const untilMs = h.clock.now() + 60_000;
  const release = h.executor.holdHealthKills('debugged', { principal: 'alice', untilMs })!;
  t.type(release, 'function');

  const held = await report(h, checks, 'debugged', failed(3));
  t.equal(held.state, 'TASK_RUNNING', 'no TASK_KILLING: the kill was held');
  t.equal(held.healthy, false, 'the health result is still reported');
  t.equal(held.message, `HTTP health check failed 3 of 3: status 503; kill held by alice until ${new Date(untilMs).toISOString()} (exec --hold-checks)`);
  t.equal(labelOf(held), new Date(untilMs).toISOString(), 'the task label carries the end of the hold');
  t.same(checks.calls.get('debugged'), ['reset'], 'the held kill restarts the count (probing goes on)');
  t.same(checks.metrics, ['held:debug']);
  t.ok(logs.some((l) => l.msg === 'health kills held' && l.task_id === 'debugged' && l.principal === 'alice'), 'the hold is logged with task_id and principal');

  release();
  t.same(checks.calls.get('debugged'), ['reset', 'reset'], 'the end of the hold restarts the count again');
  const after = await report(h, checks, 'debugged', failed(1));
  t.equal(labelOf(after), undefined, 'no label once the hold is over');
  await report(h, checks, 'debugged', failed(3));
  t.same(h.states('debugged').slice(-2), ['TASK_KILLING', 'TASK_KILLED'], 'killed once the failures counted up again');
  t.equal(h.executor.holdHealthKills('debugged', { principal: 'alice', untilMs }), undefined, 'no hold on a terminated task');
  release();
  t.same(checks.calls.get('debugged')!.filter((c) => c === 'reset'), ['reset', 'reset'], 'a second release is a no-op');
});

t.test('a hold ends by itself at its end (the injected clock), whatever the session does', async (t) => {
  const { h, checks } = await harness();
  await h.launch(checked('timed'));
  h.executor.holdHealthKills('timed', { principal: 'bob', untilMs: h.clock.now() + 5_000 });
  await report(h, checks, 'timed', failed(3));
  t.equal(h.terminal('timed')!.state, 'TASK_RUNNING');
  await h.advance(4_999);
  t.same(checks.calls.get('timed'), ['reset'], 'not before its end');
  await h.advance(1);
  t.same(checks.calls.get('timed'), ['reset', 'reset'], 'at its end: counting from zero');
  await report(h, checks, 'timed', failed(3));
  t.same(h.states('timed').slice(-2), ['TASK_KILLING', 'TASK_KILLED'], 'killed at the next threshold');
});

t.test('kill-storm guard: three of four failing in the same interval hold kills with counts and one warning; lifts when the share drops', async (t) => {
  const { h, checks, logs } = await harness();
  for (const id of ['s1', 's2', 's3', 's4']) await h.launch(checked(id));
  await report(h, checks, 's4', { healthy: true, kill: false, message: 'passed' });
  await report(h, checks, 's1', failed(1));
  await report(h, checks, 's2', failed(1));
  await report(h, checks, 's3', failed(1));
  for (const id of ['s1', 's2', 's3']) {
    const s = await report(h, checks, id, failed(3));
    t.equal(s.state, 'TASK_RUNNING', `${id} not killed`);
    t.match(s.message, /^HTTP health check failed 3 of 3: status 503; kill held: 3 of 4 health-checked tasks of this executor failed together/, `${id}: the update says why, with the counts`);
  }
  const warnings = logs.filter((l) => l.level === 40 && String(l.msg).includes('failing together'));
  t.equal(warnings.length, 1, 'one warning for the storm, not one per task');
  t.same(checks.metrics, ['storm', 'held:storm', 'held:storm', 'held:storm']);

  await h.advance(500);
  await report(h, checks, 's2', { healthy: true, kill: false, message: 'passed after 3 failures' });
  await report(h, checks, 's3', { healthy: true, kill: false, message: 'passed after 3 failures' });
  t.ok(logs.some((l) => l.msg === 'kill storm over: health kills resume'), 'the lift is logged');
  await report(h, checks, 's1', failed(3));
  t.same(h.states('s1').slice(-2), ['TASK_KILLING', 'TASK_KILLED'], 'one task failing alone is killed as before');
});

t.test('the storm outlasting its hold-off: kills resume', async (t) => {
  const { h, checks, logs } = await harness();
  for (const id of ['a', 'b', 'c']) await h.launch(checked(id));
  for (const id of ['a', 'b', 'c']) await report(h, checks, id, failed(1));
  t.equal((await report(h, checks, 'a', failed(3))).state, 'TASK_RUNNING', 'held while the storm is young');
  // Every second all three fail again, for two minutes.
  for (let s = 0; s < 120; s++) {
    await h.advance(1_000);
    for (const id of ['a', 'b', 'c']) await report(h, checks, id, failed(2));
  }
  await report(h, checks, 'a', failed(3));
  t.same(h.states('a').slice(-2), ['TASK_KILLING', 'TASK_KILLED'], 'killed after the 2-minute hold-off');
  t.ok(logs.some((l) => l.msg === 'kill storm outlasted its hold-off: health kills resume'));
});
