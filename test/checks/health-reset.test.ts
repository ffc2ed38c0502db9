// TaskCheckRunner.resetHealthFailures (contracts/checks.ts): a kill the executor holds during
// the report leaves health probing running with the count back at zero; a reset between
// reports (the end of a hold) restarts the count too. ManualClock, scripted probe.
import t from 'tap';
import { ManualClock } from '../../common/clock.js';
import { createTaskCheckFactory } from '../../checks/index.js';
import type { TaskCheckRunner } from '../../contracts/checks.js';
import { advance, recordingContext, refused, scriptedProbe, task } from './helpers.js';

const hc = { type: 'HTTP' as const, http: { port: 8080 }, delay_seconds: 0, interval_seconds: 10, timeout_seconds: 20, grace_period_seconds: 0, consecutive_failures: 2 };

t.test('a kill held during the report (reset inside reportHealth): probing goes on, counting from zero', async (t) => {
  const clock = new ManualClock(0);
  const { probe, calls } = scriptedProbe(clock, [refused]);
  const factory = createTaskCheckFactory({ random: () => 0, probe });
  let runner: TaskCheckRunner | undefined;
  const { context, definitions, reports } = recordingContext(clock, task({ health_check: hc }));
  const record = context.reportHealth;
  // As the executor does with a held kill: reset while handling the report.
  context.reportHealth = (r) => {
    record(r);
    if (r.kill) runner!.resetHealthFailures();
  };
  runner = factory.create(definitions, context)!;
  await advance(clock, 40_000, 1000);
  t.same(calls.map((c) => c.at), [0, 10_000, 20_000, 30_000, 40_000], 'the health check kept probing after each held kill');
  t.same(
    reports.map((r) => r.kind === 'health' && r.message),
    ['HTTP health check failed 1 of 2: connection refused', 'HTTP health check failed 2 of 2: connection refused', 'HTTP health check failed 1 of 2: connection refused', 'HTTP health check failed 2 of 2: connection refused', 'HTTP health check failed 1 of 2: connection refused'],
  );
  t.equal(runner.describeKill(), 'last health check: connection refused', 'no kill pending after a held one');
  runner.stop();
});

t.test('a reset between reports (a hold ending) restarts the count; without one the kill stops probing as before', async (t) => {
  const clock = new ManualClock(0);
  const { probe, calls } = scriptedProbe(clock, [refused]);
  const factory = createTaskCheckFactory({ random: () => 0, probe });
  const { context, definitions, reports } = recordingContext(clock, task({ health_check: hc }));
  const runner = factory.create(definitions, context)!;
  await advance(clock, 0);
  runner.resetHealthFailures();
  await advance(clock, 10_000, 1000);
  t.same(reports.map((r) => r.kind === 'health' && [r.at, r.kill]), [[0, false], [10_000, false]], 'failure 1 at 0, reset, failure 1 again at 10 s');
  await advance(clock, 30_000, 1000);
  t.same(reports.map((r) => r.kind === 'health' && [r.at, r.kill]), [[0, false], [10_000, false], [20_000, true]]);
  t.equal(calls.length, 3, 'no probes after an unheld kill');
  runner.stop();
});
