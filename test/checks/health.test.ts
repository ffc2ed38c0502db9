import t from 'tap';
import { HealthInterpreter, isHealthy } from '../../checks/health.js';
import { parseHealthCheck } from '../../checks/definitions.js';
import type { mesos } from '../../proto/codec.js';
import { advance, exit, http, refused, scriptedChecks, task, tcp } from './helpers.js';

t.test('success criteria: exit 0, HTTP 200..399 (or statuses when given), TCP connected; errors fail', async (t) => {
  t.ok(isHealthy(exit(0)));
  t.notOk(isHealthy(exit(2)));
  t.ok(isHealthy(http(200)));
  t.ok(isHealthy(http(399)));
  t.notOk(isHealthy(http(199)));
  t.notOk(isHealthy(http(400)));
  t.notOk(isHealthy(http(503)));
  t.ok(isHealthy(http(503), [503]), 'statuses overrides the range');
  t.notOk(isHealthy(http(200), [204]));
  t.ok(isHealthy(tcp(true)));
  t.notOk(isHealthy(tcp(false)));
  t.notOk(isHealthy(refused));
  t.notOk(isHealthy({ kind: 'error', code: 'TIMEOUT', message: 'timed out after 20s' }));
});

t.test('interpreter: first success and recovery reported; every counted failure reported; kill at threshold', async (t) => {
  const def = parseHealthCheck({ type: 'HTTP', http: { port: 80 }, grace_period_seconds: 0, consecutive_failures: 2 });
  const h = new HealthInterpreter(def, 0);
  const seq = [http(200), http(200), http(503), http(200), http(500), http(502), http(503)].map((o, i) => h.onOutcome(o, i * 1000));
  t.same(
    seq.map((d) => (d.report ? `${d.healthy ? 'healthy' : 'unhealthy'}${d.kill ? '+kill' : ''}` : `silent:${d.why}`)),
    ['healthy', 'silent:unchanged', 'unhealthy', 'healthy', 'unhealthy', 'unhealthy+kill', 'unhealthy+kill'],
  );
  t.match(seq[2], { message: 'HTTP health check failed 1 of 2: status 503' });
  t.match(seq[3], { message: 'HTTP health check passed after 1 failure: status 200' });
  t.match(seq[5], { message: 'HTTP health check failed 2 of 2: status 502' });
});

t.test('interpreter: consecutive_failures 0 kills at the first counted failure', async (t) => {
  const h = new HealthInterpreter(parseHealthCheck({ type: 'TCP', tcp: { port: 1 }, consecutive_failures: 0, grace_period_seconds: 0 }), 0);
  t.match(h.onOutcome(tcp(false), 1), { report: true, healthy: false, kill: true, failures: 1, message: 'TCP health check failed 1 (threshold 0): connect failed (connection refused)' });
});

t.test('interpreter: grace boundary is now - start <= grace, and ends at the first success', async (t) => {
  const def = parseHealthCheck({ type: 'TCP', tcp: { port: 1 }, grace_period_seconds: 10 });
  const h = new HealthInterpreter(def, 1000);
  t.same(h.onOutcome(tcp(false), 11000), { report: false, why: 'grace' }, 'exactly at start + grace: ignored');
  t.match(h.onOutcome(tcp(false), 11001), { report: true, healthy: false, failures: 1 }, '1 ms later: counted');
  const h2 = new HealthInterpreter(def, 0);
  t.match(h2.onOutcome(tcp(true), 100), { report: true, healthy: true });
  t.match(h2.onOutcome(tcp(false), 200), { report: true, healthy: false, failures: 1 }, 'after a success the grace period never applies again');
});

const healthTask = (hc: mesos.HealthCheck) => task({ health_check: hc });

t.test('through the factory: spec §7.1 example (delay 0, interval 10, grace 15, 3 failures, refused)', async (t) => {
  const { clock, calls, runner, reports } = scriptedChecks(healthTask({ type: 'HTTP', http: { port: 8080 }, delay_seconds: 0, interval_seconds: 10, timeout_seconds: 20, grace_period_seconds: 15, consecutive_failures: 3 }), [refused]);
  await advance(clock, 60000, 1000);
  t.same(calls.map((c) => c.at), [0, 10000, 20000, 30000, 40000], 'no probes after the kill decision');
  t.same(
    reports.map((r) => r.kind === 'health' && [r.at, r.healthy, r.kill, r.message]),
    [
      [20000, false, false, 'HTTP health check failed 1 of 3: connection refused'],
      [30000, false, false, 'HTTP health check failed 2 of 3: connection refused'],
      [40000, false, true, 'HTTP health check failed 3 of 3: connection refused'],
    ],
  );
  t.equal(runner.describeKill(), 'HTTP health check failed 3 of 3: connection refused, connection refused, connection refused');
  runner.resume();
  await advance(clock, 60000, 1000);
  t.equal(calls.length, 5, 'resume after a kill decision does not restart the health check');
  runner.stop();
});

t.test('through the factory: delay, grace 10 boundary measured (a 1 ms probe after t0+10 counts)', async (t) => {
  const { clock, calls, runner, reports } = scriptedChecks(healthTask({ type: 'TCP', tcp: { port: 1 }, delay_seconds: 5, interval_seconds: 5 - 0.001, grace_period_seconds: 10, consecutive_failures: 2 }), [refused], { durationMs: 1 });
  await advance(clock, 4999, 1);
  t.equal(calls.length, 0, 'delay respected');
  await advance(clock, 20000, 1);
  // probes start at 5000 (ends 5001, ignored) and 10000 (ends 10001 > t0 + 10 s: counted)
  t.same(calls.slice(0, 3).map((c) => c.at), [5000, 10000, 15000]);
  t.same(reports.map((r) => r.kind === 'health' && [r.at, r.kill]), [[10001, false], [15001, true]]);
  runner.stop();
});

t.test('through the factory: command output tail reaches the kill message; successes are silent', async (t) => {
  const { clock, runner, reports } = scriptedChecks(healthTask({ type: 'COMMAND', command: { value: './check' }, delay_seconds: 0, interval_seconds: 1, grace_period_seconds: 0, consecutive_failures: 2 }), (n) => (n < 3 ? exit(0) : exit(2, 'db down\n')));
  await advance(clock, 10000, 100);
  t.same(reports.map((r) => r.kind === 'health' && [r.at, r.healthy, r.kill]), [[0, true, false], [3000, false, false], [4000, false, true]]);
  t.equal(runner.describeKill(), 'COMMAND health check failed 2 of 2: exit 2, exit 2 (last output: db down)');
  runner.stop();
});

t.test('through the factory: timeout counts as a failure; pause discards; resume probes at once', async (t) => {
  const { clock, calls, runner, reports } = scriptedChecks(healthTask({ type: 'HTTP', http: { port: 8080 }, delay_seconds: 0, interval_seconds: 1, timeout_seconds: 2, grace_period_seconds: 0, consecutive_failures: 5 }), [http(200)], { durationMs: 5000 }); // every probe takes 5 s
  await advance(clock, 3500, 100);
  t.same(reports.map((r) => r.kind === 'health' && r.message), ['HTTP health check failed 1 of 5: timed out after 2s']);
  runner.pause();
  await advance(clock, 30000, 1000);
  t.equal(calls.length, 2, 'the probe started at 3 s was aborted by pause; nothing since');
  t.equal(reports.length, 1, 'nothing reported while paused');
  runner.resume();
  await advance(clock, 0);
  t.equal(calls.length, 3);
  t.equal(calls[2]!.at, 33500, 'resume probes immediately');
  runner.stop();
});

t.test('a report callback that throws is logged with the task and check; probing goes on', async (t) => {
  const reportHealth = () => {
    throw new Error('executor bug');
  };
  const hc: mesos.HealthCheck = { type: 'HTTP', http: { port: 80 }, delay_seconds: 0, interval_seconds: 1, grace_period_seconds: 0, consecutive_failures: 9 };
  const { clock, calls, runner, logLines } = scriptedChecks(healthTask(hc), [http(200), http(500)], { context: { reportHealth } });
  await advance(clock, 3000, 500);
  t.equal(calls.length, 4);
  const errors = logLines.filter((l) => l.msg === 'handling a check outcome failed');
  t.equal(errors.length, 4, 'the first success and three failures were reported, each throwing');
  t.match(errors[0], { task_id: 'web-1', check: 'health', err: { message: 'executor bug' } });
  runner.stop();
});
