// What a steady health-checked task costs the executor's heap (issue 11: 10,000 tasks in
// under 150 MiB RSS). Step test on a ManualClock with a fake probe: the per-task state of
// checks/ (scheduler entry, interpreter, history ring, metrics series, log fields), after
// enough probes that every ring has wrapped.
import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Writable } from 'node:stream';
import { ManualClock } from '../../common/clock.js';
import { createLogger } from '../../common/logger.js';
import { CheckScheduler } from '../../checks/scheduler.js';
import { createTaskCheckFactory, type TaskChecks } from '../../checks/index.js';
import { parseHealthCheck } from '../../checks/definitions.js';
import { flush, http } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapUsed = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

// Measured 3.3-3.6 KB here (5.9 KB before: a pino child, ten RunRecords and a prom-client
// verdict series per task, a Map of series); the
// budget leaves room for V8's own variation, not for the old layout.
const BUDGET_BYTES_PER_TASK = 4096;

t.test(`a steady HTTP health-checked task holds under ${BUDGET_BYTES_PER_TASK} bytes of heap, its history wrapped`, async (t) => {
  const tasks = 5000;
  const clock = new ManualClock(0);
  const scheduler = new CheckScheduler({ clock, random: Math.random });
  const factory = createTaskCheckFactory({ scheduler, probe: () => Promise.resolve(http(200)) });
  const logger = createLogger({ name: 'test', level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const definitions = { health: parseHealthCheck({ type: 'HTTP', http: { port: 1, path: '/health' }, delay_seconds: 0, interval_seconds: 1, timeout_seconds: 5, grace_period_seconds: 10 }) };
  const environment = {};
  let reports = 0;
  const report = () => void reports++;
  const runners: TaskChecks[] = [];
  const before = heapUsed();
  for (let i = 0; i < tasks; i++) {
    runners.push(factory.create(definitions, { taskId: `task-${i}`, environment, workingDirectory: '/', logger, clock, reportHealth: report, reportCheck: report, reportReadiness: report })!);
  }
  // 15 steps of 1 s checks: past the ring of 10, every task reported healthy once.
  for (let s = 0; s < 15; s++) {
    clock.advance(1100); // interval + the most jitter: every check is due once a step
    for (let i = 0; i < 1000 && (scheduler.inFlight > 0 || scheduler.queued > 0); i++) await flush();
  }
  const perTask = (heapUsed() - before) / tasks;
  const probes = runners.reduce((n, r) => n + r.healthHistory.total, 0);
  t.ok(probes >= tasks * 11, `${probes} probes: each history wrapped`);
  t.equal(reports, tasks, 'each task reported healthy once (the first success), nothing after');
  t.ok(perTask < BUDGET_BYTES_PER_TASK, `${Math.round(perTask)} bytes of heap per task (budget ${BUDGET_BYTES_PER_TASK})`);
  t.same(runners[0]!.healthHistory.last(), { ...runners[0]!.healthHistory.last(), kind: 'result', cause: 'status 200', statusCode: 200 }, 'the history still explains the last run');
  const text = await factory.metrics.registry.metrics();
  t.match(text, /mesos_sidecar_check_verdicts_total\{task_id="task-4999",check="health",verdict="healthy"\} 1/, 'verdicts still exposed per task');
  for (const r of runners) r.stop();
  t.notMatch(await factory.metrics.registry.metrics(), /task-4999/, 'stopped tasks leave no series');
});
