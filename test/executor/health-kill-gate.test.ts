// HealthKillGate as step tables: each step is a health report (or a hold) at a clock
// reading and the verdict the gate must give. No executor, no timers.
import t, { type Test } from 'tap';
import { describeHeldKill, HealthKillGate, healthReportWindowMs, withHoldLabel, type KillStormSettings, type KillVerdict } from '../../executor/health-kill-gate.js';
import { HEALTH_KILL_HOLD_LABEL } from '../../contracts/task-view.js';

const WINDOW = 10_000;
type Step =
  | { at: number; report: string; healthy: boolean; change?: string }
  | { at: number; kill: string; expect: KillVerdict['kind'] | 'storm' | 'debug' };

function run(t: Test, settings: Partial<KillStormSettings>, tasks: string[], steps: Step[]): HealthKillGate {
  const gate = new HealthKillGate({ share: 0.5, minTasks: 3, holdOffMs: 120_000, ...settings });
  for (const id of tasks) gate.track(id, WINDOW);
  for (const step of steps) {
    if ('report' in step) {
      const change = gate.onHealth(step.report, step.healthy, step.at);
      t.equal(change?.kind, step.change, `t=${step.at} ${step.report} ${step.healthy ? 'healthy' : 'unhealthy'}: storm ${step.change ?? 'unchanged'}`);
    } else {
      const verdict = gate.decideKill(step.kill, step.at);
      const got = verdict.kind === 'hold' ? verdict.why : verdict.kind;
      t.equal(got, step.expect, `t=${step.at} kill of ${step.kill}: ${step.expect}`);
    }
  }
  return gate;
}

t.test('one task failing alone is killed as before', async (t) => {
  run(t, {}, ['a', 'b', 'c', 'd'], [
    { at: 0, report: 'a', healthy: false },
    { at: 0, kill: 'a', expect: 'kill' },
  ]);
});

t.test('three of four failing within one interval: a storm, kills held; the share dropping lifts it', async (t) => {
  run(t, {}, ['a', 'b', 'c', 'd'], [
    { at: 0, report: 'd', healthy: true },
    { at: 1_000, report: 'a', healthy: false },
    { at: 2_000, report: 'b', healthy: false },
    { at: 3_000, report: 'c', healthy: false, change: 'started' },
    { at: 3_000, kill: 'a', expect: 'storm' },
    { at: 4_000, kill: 'c', expect: 'storm' },
    { at: 5_000, report: 'b', healthy: true, change: 'lifted' },
    { at: 5_000, kill: 'a', expect: 'kill' },
  ]);
});

t.test('two of four (not more than half) is no storm; nor are two of two (fewer than min tasks)', async (t) => {
  run(t, {}, ['a', 'b', 'c', 'd'], [
    { at: 0, report: 'a', healthy: false },
    { at: 0, report: 'b', healthy: false },
    { at: 0, kill: 'a', expect: 'kill' },
  ]);
  run(t, {}, ['a', 'b'], [
    { at: 0, report: 'a', healthy: false },
    { at: 0, report: 'b', healthy: false },
    { at: 0, kill: 'b', expect: 'kill' },
  ]);
});

t.test('failures further apart than one check interval do not add up to a storm', async (t) => {
  run(t, {}, ['a', 'b', 'c', 'd'], [
    { at: 0, report: 'a', healthy: false },
    { at: WINDOW + 1, report: 'b', healthy: false },
    { at: 2 * WINDOW + 2, report: 'c', healthy: false },
    { at: 2 * WINDOW + 2, kill: 'c', expect: 'kill' },
  ]);
});

t.test('the hold-off ends a storm that goes on; it re-arms only after the storm is over', async (t) => {
  const steps: Step[] = [];
  // Failing reports every 5 s from all three tasks out of four.
  for (let at = 0; at <= 25_000; at += 5_000) for (const id of ['a', 'b', 'c']) steps.push({ at, report: id, healthy: false, ...(at === 0 && id === 'c' ? { change: 'started' } : at === 20_000 && id === 'a' ? { change: 'expired' } : {}) });
  run(t, { holdOffMs: 20_000 }, ['a', 'b', 'c', 'd'], [
    ...steps.filter((s) => s.at < 20_000),
    { at: 19_999, kill: 'a', expect: 'storm' },
    ...steps.filter((s) => s.at >= 20_000),
    { at: 25_000, kill: 'a', expect: 'kill' },
    { at: 26_000, report: 'a', healthy: true },
    { at: 26_000, report: 'b', healthy: true },
    { at: 27_000, report: 'a', healthy: false },
    { at: 27_000, report: 'b', healthy: false, change: 'started' },
    { at: 27_000, kill: 'b', expect: 'storm' },
  ]);
});

t.test('a debug hold wins over everything until its end; the last removed hold says so', async (t) => {
  const gate = run(t, {}, ['a'], []);
  const first = gate.addHold('a', { principal: 'alice', untilMs: 10_000 });
  const second = gate.addHold('a', { principal: 'bob', untilMs: 20_000 });
  gate.onHealth('a', false, 0);
  t.same(gate.decideKill('a', 0), { kind: 'hold', why: 'debug', hold: { principal: 'bob', untilMs: 20_000 } }, 'the hold that ends last is named');
  t.equal(gate.removeHold('a', second), false, 'alice still holds');
  t.same(gate.decideKill('a', 9_999), { kind: 'hold', why: 'debug', hold: { principal: 'alice', untilMs: 10_000 } });
  t.same(gate.decideKill('a', 10_000), { kind: 'kill' }, 'at its end a hold no longer holds');
  t.equal(gate.removeHold('a', first), true, 'the last hold');
  t.equal(gate.removeHold('a', first), false, 'removing twice is a no-op');
});

t.test('share 1 turns the guard off', async (t) => {
  run(t, { share: 1 }, ['a', 'b', 'c'], [
    { at: 0, report: 'a', healthy: false },
    { at: 0, report: 'b', healthy: false },
    { at: 0, report: 'c', healthy: false },
    { at: 0, kill: 'c', expect: 'kill' },
  ]);
});

t.test('window, label and message', async (t) => {
  t.equal(healthReportWindowMs({ intervalMs: 10_000, timeoutMs: 20_000 }), 31_000, 'Mesos defaults: interval 10 s + 10 % jitter + timeout 20 s');
  t.equal(healthReportWindowMs({ intervalMs: 1000, timeoutMs: 500 }), 1_600);
  const hold = { principal: 'alice', untilMs: Date.UTC(2026, 0, 2, 3, 4, 5) };
  t.same(withHoldLabel({ labels: [{ key: 'x', value: 'y' }] }, hold), { labels: [{ key: 'x', value: 'y' }, { key: HEALTH_KILL_HOLD_LABEL, value: '2026-01-02T03:04:05.000Z' }] });
  t.same(withHoldLabel({ labels: [{ key: HEALTH_KILL_HOLD_LABEL, value: 'old' }] }, undefined), { labels: [] }, 'removed once the hold is over');
  t.equal(withHoldLabel(undefined, undefined), undefined);
  const settings = { share: 0.5, minTasks: 3, holdOffMs: 120_000 };
  t.equal(describeHeldKill({ kind: 'hold', why: 'debug', hold }, settings), 'kill held by alice until 2026-01-02T03:04:05.000Z (exec --hold-checks)');
  t.match(describeHeldKill({ kind: 'hold', why: 'storm', failing: 3, checked: 4, untilMs: hold.untilMs }, settings), /^kill held: 3 of 4 health-checked tasks .*more than 50% and at least 3.*at 2026-01-02T03:04:05.000Z$/);
});

t.test('tasks that end no longer count; a task tracked later does', async (t) => {
  const gate = run(t, {}, ['a', 'b', 'c', 'd'], [
    { at: 0, report: 'a', healthy: false },
    { at: 0, report: 'b', healthy: false },
  ]);
  gate.forget('c');
  gate.forget('d');
  t.equal(gate.onHealth('a', false, 1), undefined, '2 of 2 failing: fewer than 3 tasks, no storm');
  gate.track('e', WINDOW);
  t.same(gate.onHealth('e', false, 2), { kind: 'started', failing: 3, checked: 3, atMs: 2 }, 'a third task failing: 3 of 3');
  gate.forget('e');
  t.same(gate.onHealth('b', false, 3), { kind: 'lifted', failing: 2, checked: 2 }, 'it ended: 2 of 2 again');
  const hold = gate.addHold('f', { principal: 'p', untilMs: 100 });
  t.same(gate.onHealth('f', false, 4), undefined, 'a held task without a health check is not counted');
  t.equal(gate.removeHold('f', hold), true);
});
