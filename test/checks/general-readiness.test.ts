import t from 'tap';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { ManualClock } from '../../common/clock.js';
import { GeneralCheckReporter } from '../../checks/general.js';
import { createTaskCheckFactory, READINESS_CHECK_LABEL } from '../../checks/index.js';
import type { ProbeOutcome } from '../../checks/outcome.js';
import type { mesos } from '../../proto/codec.js';
import { advance, exit, http, recordingContext, refused, scriptedChecks, task, tcp, type Report } from './helpers.js';

const timeout: ProbeOutcome = { kind: 'error', code: 'TIMEOUT', message: 'timed out after 20s' };

t.test('general check candidates: reported only when the value or its presence changes (spec §6 examples)', async (t) => {
  const run = (type: 'HTTP' | 'COMMAND' | 'TCP', outcomes: ProbeOutcome[]) => {
    const r = new GeneralCheckReporter(type);
    return outcomes.map((o) => r.onOutcome(o) ?? null);
  };
  t.same(run('HTTP', [http(200), http(202)]), [{ type: 'HTTP', http: { status_code: 200 } }, { type: 'HTTP', http: { status_code: 202 } }], '200 then 202: two updates');
  t.same(run('COMMAND', [exit(0), exit(0), exit(0)]), [{ type: 'COMMAND', command: { exit_code: 0 } }, null, null], 'exit 0 repeated: one update');
  t.same(run('HTTP', [http(200), timeout]), [{ type: 'HTTP', http: { status_code: 200 } }, { type: 'HTTP', http: {} }], 'a timeout after a 200: one update with http: {}');
  t.same(run('HTTP', [timeout, refused]), [null, null], 'errors before any result: still equal to the initial empty value');
  t.same(run('TCP', [tcp(false), tcp(false), tcp(true)]), [{ type: 'TCP', tcp: { succeeded: false } }, null, { type: 'TCP', tcp: { succeeded: true } }]);
});

t.test('through the factory: general check updates only on change, never kills, never touches health', async (t) => {
  const script = [http(200), http(200), http(503), http(503), timeout, http(200)];
  const { clock, calls, runner, reports } = scriptedChecks(task({ check: { type: 'HTTP', http: { port: 80, path: '/status' }, delay_seconds: 1, interval_seconds: 2 } }), script);
  await advance(clock, 12000, 500);
  t.same(calls.map((c) => c.at), [1000, 3000, 5000, 7000, 9000, 11000]);
  t.same(
    reports.map((r) => r.kind === 'check' && [r.at, r.status, r.message]),
    [
      [1000, { type: 'HTTP', http: { status_code: 200 } }, 'HTTP check result: status 200'],
      [5000, { type: 'HTTP', http: { status_code: 503 } }, 'HTTP check result: status 503'],
      [9000, { type: 'HTTP', http: {} }, 'HTTP check has no result: timed out after 20s'],
      [11000, { type: 'HTTP', http: { status_code: 200 } }, 'HTTP check result: status 200'],
    ],
  );
  t.equal(runner.describeKill(), '', 'no health check, nothing to explain');
  runner.stop();
});

const readinessTask = (json: unknown, ports: mesos.Port[] = [{ number: 8080, name: 'http-api' }]) =>
  task({ discovery: { visibility: 'FRAMEWORK', ports: { ports } }, labels: { labels: [{ key: READINESS_CHECK_LABEL, value: JSON.stringify(json) }] } });

t.test('readiness: immediate first probe, reports on change, goes ready once and stops probing', async (t) => {
  const { clock, calls, runner, reports } = scriptedChecks(readinessTask({ name: 'warmup', intervalSeconds: 5, timeoutSeconds: 1, path: '/ready' }), [http(503), http(503), refused, http(200)]);
  await advance(clock, 60000, 500);
  t.same(calls.map((c) => c.at), [0, 5000, 10000, 15000], 'no probe after the first ready result');
  t.same(calls[0]!.spec, { type: 'HTTP', scheme: 'http', host: '127.0.0.1', port: 8080, path: '/ready', followRedirects: false });
  t.same(
    reports.map((r) => r.kind === 'readiness' && [r.at, r.labels, r.message]),
    [
      [0, { 'mesos-sidecar.readiness/name': 'warmup', 'mesos-sidecar.readiness/ready': 'false', 'mesos-sidecar.readiness/result': 'status 503', 'mesos-sidecar.readiness/http-status': '503' }, "readiness check 'warmup' not ready: status 503"],
      [10000, { 'mesos-sidecar.readiness/name': 'warmup', 'mesos-sidecar.readiness/ready': 'false', 'mesos-sidecar.readiness/result': 'connection refused', 'mesos-sidecar.readiness/http-status': '504' }, "readiness check 'warmup' not ready: connection refused"],
      [15000, { 'mesos-sidecar.readiness/name': 'warmup', 'mesos-sidecar.readiness/ready': 'true', 'mesos-sidecar.readiness/result': 'status 200', 'mesos-sidecar.readiness/http-status': '200' }, "readiness check 'warmup' ready: status 200"],
    ],
  );
  runner.pause();
  runner.resume();
  await advance(clock, 60000, 5000);
  t.equal(calls.length, 4, 'resume does not restart a readiness check that is done');
  runner.stop();
});

t.test('readiness: httpStatusCodesForReady, TCP and COMMAND variants', async (t) => {
  const ready = (reports: Report[]) => reports.map((r) => r.kind === 'readiness' && r.labels['mesos-sidecar.readiness/ready']);
  const codes = scriptedChecks(readinessTask({ httpStatusCodesForReady: [204], intervalSeconds: 2, timeoutSeconds: 1 }), [http(200), http(204)]);
  await advance(codes.clock, 10000, 500);
  t.same(ready(codes.reports), ['false', 'true'], '200 is not ready when only 204 is');

  const tcpRun = scriptedChecks(readinessTask({ protocol: 'TCP', portName: 'admin', intervalSeconds: 2, timeoutSeconds: 1 }, [{ number: 9000, name: 'admin' }]), [tcp(false), tcp(true)]);
  await advance(tcpRun.clock, 10000, 500);
  t.same(tcpRun.calls[0]!.spec, { type: 'TCP', host: '127.0.0.1', port: 9000 });
  t.same(tcpRun.reports.map((r) => r.kind === 'readiness' && r.message), ["readiness check 'readinessCheck' not ready: connect failed (connection refused)", "readiness check 'readinessCheck' ready: connected"]);

  const cmdRun = scriptedChecks(readinessTask({ protocol: 'COMMAND', command: { value: 'test -f /tmp/ready' }, intervalSeconds: 2, timeoutSeconds: 1 }), [exit(1), exit(0)]);
  await advance(cmdRun.clock, 10000, 500);
  t.equal(cmdRun.calls.length, 2);
  t.same(ready(cmdRun.reports), ['false', 'true']);
  for (const run of [codes, tcpRun, cmdRun]) run.runner.stop();
});

t.test('readiness against a real server: preserveLastResponse carries content type and a bounded body', async (t) => {
  let n = 0;
  const server = createServer((_req, res) => {
    n++;
    if (n < 2) res.writeHead(503, { 'content-type': 'text/plain' }).end('warming up');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ready: true, pad: 'p'.repeat(10000) }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const clock = new ManualClock(0);
  const { context, definitions, reports } = recordingContext(clock, readinessTask({ preserveLastResponse: true, intervalSeconds: 2, timeoutSeconds: 1 }, [{ number: port, name: 'http-api' }]), {});
  // Real probes, manual scheduling clock: the probe runs for real, the interval is stepped.
  const runner = createTaskCheckFactory({ random: () => 0, clock }).create(definitions, context)!;
  const waitFor = async (count: number) => {
    while (reports.length < count) {
      clock.advance(0);
      await new Promise<void>((r) => setImmediate(r));
      if (reports.length < count && n === reports.length) await new Promise<void>((r) => server.once('request', () => setImmediate(r)));
    }
  };
  await waitFor(1);
  t.same(reports[0]!.kind === 'readiness' && reports[0]!.labels, {
    'mesos-sidecar.readiness/name': 'readinessCheck',
    'mesos-sidecar.readiness/ready': 'false',
    'mesos-sidecar.readiness/result': 'status 503',
    'mesos-sidecar.readiness/http-status': '503',
    'mesos-sidecar.readiness/content-type': 'text/plain',
    'mesos-sidecar.readiness/body': 'warming up',
  });
  clock.advance(2000);
  await waitFor(2);
  const labels = reports[1]!.kind === 'readiness' ? reports[1]!.labels : {};
  t.equal(labels['mesos-sidecar.readiness/ready'], 'true');
  t.equal(labels['mesos-sidecar.readiness/content-type'], 'application/json');
  t.equal(labels['mesos-sidecar.readiness/body']!.length, 4096, 'body bounded to 4 KiB');
  runner.stop();
});
