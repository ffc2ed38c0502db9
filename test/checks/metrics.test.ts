import t from 'tap';
import { request } from 'undici';
import { Registry } from 'prom-client';
import { CheckMetrics } from '../../checks/metrics.js';
import { startMetricsServer } from '../../metrics/endpoint.js';
import { createTaskCheckFactory } from '../../checks/index.js';
import { advance, http, scriptedChecks, task } from './helpers.js';

t.test('metrics: counts and latency per task, check kind and type, served at GET /metrics on loopback', async (t) => {
  const metrics = new CheckMetrics();
  const hc = { type: 'HTTP', http: { port: 80 }, delay_seconds: 0, interval_seconds: 1, grace_period_seconds: 0, consecutive_failures: 10 } as const;
  const { clock, runner } = scriptedChecks(task({ health_check: hc }), [http(200), http(503)], { durationMs: 7, factory: { metrics } });
  await advance(clock, 2500, 1);
  const endpoint = await startMetricsServer(metrics.registry, '127.0.0.1:0');
  t.teardown(() => endpoint.close());
  t.match(endpoint.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const res = await request(endpoint.url);
  t.equal(res.statusCode, 200);
  const text = await res.body.text();
  for (const expected of [
    'mesos_sidecar_check_probes_total{task_id="web-1",check="health",type="HTTP",outcome="result"} 3',
    'mesos_sidecar_check_verdicts_total{task_id="web-1",check="health",verdict="healthy"} 1',
    'mesos_sidecar_check_verdicts_total{task_id="web-1",check="health",verdict="unhealthy"} 2',
    'mesos_sidecar_check_probe_duration_seconds_bucket{le="0.01",task_id="web-1",check="health",type="HTTP"} 3',
    'mesos_sidecar_check_scheduler_lateness_seconds_count 3',
    // The histograms are ours (FastHistogram), in prom-client's exposition format.
    '# TYPE mesos_sidecar_check_probe_duration_seconds histogram',
    'mesos_sidecar_check_probe_duration_seconds_bucket{le="0.005",task_id="web-1",check="health",type="HTTP"} 0',
    'mesos_sidecar_check_probe_duration_seconds_bucket{le="+Inf",task_id="web-1",check="health",type="HTTP"} 3',
    /mesos_sidecar_check_probe_duration_seconds_sum\{task_id="web-1",check="health",type="HTTP"\} 0\.02\d*\n/,
    'mesos_sidecar_check_probe_duration_seconds_count{task_id="web-1",check="health",type="HTTP"} 3',
    'mesos_sidecar_check_scheduler_lateness_seconds_bucket{le="0.0005"} 3',
  ]) t.match(text, expected);
  const json = (await metrics.registry.getMetricsAsJSON()) as Array<{ name: string; values: Array<{ labels: Record<string, unknown>; value: number }> }>;
  const probes = json.find((m) => m.name === 'mesos_sidecar_check_probes_total')!;
  t.same(probes.values, [{ labels: { task_id: 'web-1', check: 'health', type: 'HTTP', outcome: 'result' }, value: 3 }], 'probe counts are copied into the counter when scraped');
  const missing = await request(endpoint.url.replace('/metrics', '/other'));
  t.equal(missing.statusCode, 404);
  await missing.body.dump();
  runner.stop();
  const after = await (await request(endpoint.url)).body.text();
  t.notMatch(after, 'task_id="web-1"', 'a stopped task drops its series');
});

t.test('the factory registers the check series into the registry it is given (the executor\'s)', async (t) => {
  const registry = new Registry();
  const factory = createTaskCheckFactory({ registry });
  t.equal(factory.metrics.registry, registry);
  t.match(await registry.metrics(), '# TYPE mesos_sidecar_check_probes_total counter');
  t.match(await registry.metrics(), '# TYPE mesos_sidecar_check_scheduler_lateness_seconds histogram');
  t.not(createTaskCheckFactory({}).metrics.registry, registry, 'without one: a registry of its own');
});
