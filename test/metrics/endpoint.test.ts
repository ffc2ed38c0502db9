// The executor's metrics endpoint (metrics/endpoint.ts): the address it accepts and what
// it serves. The executor's use of it is in test/checks/e2e.test.ts and
// test/metrics/container-statistics.test.ts.
import t from 'tap';
import { request } from 'undici';
import { Gauge, Registry } from 'prom-client';
import { parseMetricsAddress, startMetricsServer } from '../../metrics/endpoint.js';

t.test('metrics address: loopback only, host:port, named errors', async (t) => {
  t.same(parseMetricsAddress('127.0.0.1:9100'), { host: '127.0.0.1', port: 9100 });
  t.same(parseMetricsAddress('[::1]:0'), { host: '::1', port: 0 });
  // input: a wildcard host → error: MetricsAddressError, not loopback
  t.throws(() => parseMetricsAddress('0.0.0.0:9100'), { code: 'E_METRICS_ADDRESS', message: 'MESOS_SIDECAR_METRICS_ADDRESS: host "0.0.0.0" is not loopback (127.0.0.1, ::1 or localhost)' });
  // input: a bare port → error: MetricsAddressError, not host:port
  t.throws(() => parseMetricsAddress('9100'), { code: 'E_METRICS_ADDRESS', message: 'MESOS_SIDECAR_METRICS_ADDRESS="9100" is not host:port (e.g. 127.0.0.1:9100 or [::1]:0)' });
});

t.test('port 0: the endpoint names the port it bound, serves the registry at GET /metrics and 404 elsewhere', async (t) => {
  const registry = new Registry();
  new Gauge({ name: 'test_value', help: 'a value', registers: [registry] }).set(42);
  const endpoint = await startMetricsServer(registry, '127.0.0.1:0');
  t.teardown(() => endpoint.close());
  t.equal(endpoint.address.host, '127.0.0.1');
  t.ok(endpoint.address.port > 0, `bound port ${endpoint.address.port}`);
  t.equal(endpoint.url, `http://127.0.0.1:${endpoint.address.port}/metrics`);
  const res = await request(endpoint.url);
  t.equal(res.statusCode, 200);
  t.match(await res.body.text(), /^test_value 42$/m);
  const other = await request(endpoint.url.replace('/metrics', '/'));
  t.equal(other.statusCode, 404);
  t.equal(await other.body.text(), 'not found; try GET /metrics\n');
});
