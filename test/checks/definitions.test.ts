import t from 'tap';
import { codecs, type mesos } from '../../proto/codec.js';
import { parseCheckInfo, parseHealthCheck, parseTaskChecks, READINESS_CHECK_LABEL } from '../../checks/definitions.js';
import { createTaskCheckFactory } from '../../checks/index.js';

const task = (extra: Partial<mesos.TaskInfo>): mesos.TaskInfo => ({
  name: 'web',
  task_id: { value: 'web-1' },
  agent_id: { value: 'agent-1' },
  command: { value: 'sleep 1000' },
  ...extra,
});

t.test('HealthCheck defaults come from the proto: 15/10/20 s, 3 failures, 10 s grace, http on 127.0.0.1', async (t) => {
  const d = parseHealthCheck({ type: 'HTTP', http: { port: 8080 } });
  t.same(
    { ...d },
    {
      kind: 'health',
      probe: { type: 'HTTP', scheme: 'http', host: '127.0.0.1', port: 8080, path: '/', followRedirects: true },
      statuses: [],
      delayMs: 15000,
      intervalMs: 10000,
      timeoutMs: 20000,
      gracePeriodMs: 10000,
      consecutiveFailures: 3,
    },
  );
  const v6 = parseHealthCheck({ type: 'TCP', tcp: { port: 22, protocol: 'IPv6' }, consecutive_failures: 0, interval_seconds: 0 });
  t.same(v6.probe, { type: 'TCP', host: '::1', port: 22 });
  t.equal(v6.consecutiveFailures, 0, 'consecutive_failures 0 is legal');
  t.equal(v6.intervalMs, 0, 'interval 0 is legal');
  const https = parseHealthCheck({ type: 'HTTP', http: { port: 443, scheme: 'https', path: '/health', protocol: 'IPv6', statuses: [200, 204] } });
  t.same(https.probe, { type: 'HTTP', scheme: 'https', host: '::1', port: 443, path: '/health', followRedirects: true });
  t.same(https.statuses, [200, 204]);
});

t.test('CheckInfo: general HTTP checks always use http://127.0.0.1; COMMAND is nested under command.command', async (t) => {
  const d = parseCheckInfo({ type: 'HTTP', http: { port: 80 }, delay_seconds: 0 });
  t.same(d.probe, { type: 'HTTP', scheme: 'http', host: '127.0.0.1', port: 80, path: '/', followRedirects: true });
  t.equal(d.delayMs, 0);
  t.equal(d.intervalMs, 10000);
  const c = parseCheckInfo({ type: 'COMMAND', command: { command: { value: 'exit 0', environment: { variables: [{ name: 'A', value: '1' }] } } } });
  t.same(c.probe, { type: 'COMMAND', shell: true, value: 'exit 0', argv: [], environment: { A: '1' } });
  const argv = parseCheckInfo({ type: 'COMMAND', command: { command: { shell: false, value: '/bin/true', arguments: ['true', '-x'] } } });
  t.same(argv.probe, { type: 'COMMAND', shell: false, value: '/bin/true', argv: ['true', '-x'], environment: {} });
});

// Each invalid definition -> CheckDefinitionError (code E_CHECK_INVALID) whose message names the field and value.
const invalidHealth: Array<[string, mesos.HealthCheck, string]> = [
  ['type missing', { http: { port: 80 } }, 'health_check.type is required (COMMAND, HTTP or TCP)'],
  ['type UNKNOWN', { type: 'UNKNOWN' }, 'health_check.type: unknown enum value "UNKNOWN" (expected one of COMMAND, HTTP, TCP)'],
  ['HTTP without http', { type: 'HTTP' }, 'health_check.http is required for an HTTP health check'],
  ['TCP without tcp', { type: 'TCP' }, 'health_check.tcp is required for a TCP health check'],
  ['COMMAND without command', { type: 'COMMAND' }, 'health_check.command is required for a COMMAND health check'],
  ['COMMAND without value', { type: 'COMMAND', command: { shell: true } }, 'health_check.command.value is required (the shell command), got null'],
  ['port missing', { type: 'HTTP', http: {} as mesos.HealthCheck.HTTPCheckInfo }, 'health_check.http.port is required'],
  ['port 0', { type: 'TCP', tcp: { port: 0 } }, 'health_check.tcp.port must be in 1..65535, got 0'],
  ['port too big', { type: 'HTTP', http: { port: 70000 } }, 'health_check.http.port must be in 1..65535, got 70000'],
  ['path without slash', { type: 'HTTP', http: { port: 80, path: 'health' } }, `health_check.http.path must start with '/', got "health"`],
  ['bad scheme', { type: 'HTTP', http: { port: 80, scheme: 'ftp' } }, 'health_check.http.scheme must be "http" or "https", got "ftp"'],
  ['bad status', { type: 'HTTP', http: { port: 80, statuses: [200, 42] } }, 'health_check.http.statuses[1] must be an HTTP status code in 100..599, got 42'],
  ['negative interval', { type: 'TCP', tcp: { port: 1 }, interval_seconds: -1 }, 'health_check.interval_seconds must be >= 0, got -1'],
  ['negative delay', { type: 'TCP', tcp: { port: 1 }, delay_seconds: -0.5 }, 'health_check.delay_seconds must be >= 0, got -0.5'],
  ['negative timeout', { type: 'TCP', tcp: { port: 1 }, timeout_seconds: -2 }, 'health_check.timeout_seconds must be >= 0, got -2'],
  ['negative grace', { type: 'TCP', tcp: { port: 1 }, grace_period_seconds: -3 }, 'health_check.grace_period_seconds must be >= 0, got -3'],
  ['NaN interval', { type: 'TCP', tcp: { port: 1 }, interval_seconds: NaN }, 'health_check.interval_seconds must be >= 0, got NaN'],
  [
    'VALUE variable without value',
    { type: 'COMMAND', command: { value: 'true', environment: { variables: [{ name: 'X' }] } } },
    "health_check.command.environment.variables[0].value is required for VALUE variable 'X'",
  ],
  [
    'SECRET variable with a reference',
    { type: 'COMMAND', command: { value: 'true', environment: { variables: [{ name: 'S', type: 'SECRET', secret: { type: 'REFERENCE', reference: { name: 'db' } } }] } } },
    'health_check.command.environment.variables[0].secret must be an inline VALUE secret (got type REFERENCE); secret references cannot be resolved by the executor',
  ],
];

t.test('invalid HealthChecks are rejected with the field and value named', async (t) => {
  for (const [name, hc, message] of invalidHealth) {
    t.throws(() => parseHealthCheck(hc), { code: 'E_CHECK_INVALID', message }, name);
  }
});

t.test('invalid CheckInfos are rejected with the field and value named', async (t) => {
  const cases: Array<[mesos.CheckInfo, string]> = [
    [{ type: 'HTTP' }, 'check.http is required for an HTTP check'],
    [{ type: 'COMMAND', command: { command: { value: '' } } }, 'check.command.command.value is required (the shell command), got ""'],
    [{ type: 'HTTP', http: { port: 80, path: 'x' } }, `check.http.path must start with '/', got "x"`],
    [{ type: 'TCP', tcp: { port: 5 }, timeout_seconds: -1 }, 'check.timeout_seconds must be >= 0, got -1'],
  ];
  for (const [ci, message] of cases) t.throws(() => parseCheckInfo(ci), { code: 'E_CHECK_INVALID', message }, message);
});

// factory.parse: input -> the typed definitions, or the refusal naming the TaskInfo field.
t.test('factory.parse returns the definitions, or the field and message for TASK_ERROR', async (t) => {
  const f = createTaskCheckFactory();
  t.strictSame(f.parse(task({})), { ok: true, definitions: {} }, 'no checks');
  const ok = f.parse(task({ health_check: { type: 'HTTP', http: { port: 80 } } }));
  t.equal(ok.ok && ok.definitions.health?.probe.type, 'HTTP');
  t.strictSame(f.parse(task({ health_check: { type: 'HTTP', http: { port: 80 }, interval_seconds: -1 } })), {
    ok: false,
    field: 'TaskInfo.health_check.interval_seconds',
    message: 'TaskInfo.health_check.interval_seconds must be >= 0, got -1',
  });
  t.strictSame(f.parse(task({ health_check: { type: 'HTTP', http: { port: 0 } } })), {
    ok: false,
    field: 'TaskInfo.health_check.http.port',
    message: 'TaskInfo.health_check.http.port must be in 1..65535, got 0',
  });
  t.strictSame(f.parse(task({ check: { type: 'TCP' } })), { ok: false, field: 'TaskInfo.check.tcp', message: 'TaskInfo.check.tcp is required for a TCP check' });
  t.equal(f.create({}, { taskId: 'x' } as never), undefined, 'create: no checks, no runner');
});

t.test('a decoded JSON TaskInfo with a health check keeps proto names', async (t) => {
  const ti = codecs.mesos.TaskInfo.fromJsonValue({
    name: 'x', task_id: { value: 'x' }, agent_id: { value: 'a' },
    health_check: { type: 'HTTP', http: { port: 8080, path: '/ping' }, delay_seconds: 0, grace_period_seconds: 0 },
  });
  const d = parseTaskChecks(ti);
  t.equal(d.health?.delayMs, 0);
  t.equal(d.health?.gracePeriodMs, 0);
  t.same(d.health?.probe, { type: 'HTTP', scheme: 'http', host: '127.0.0.1', port: 8080, path: '/ping', followRedirects: true });
});

t.test('readiness check from the task label, portName resolved from discovery.ports', async (t) => {
  const discovery: mesos.DiscoveryInfo = { visibility: 'FRAMEWORK', ports: { ports: [{ number: 8080, name: 'http-api' }, { number: 9000, name: 'admin' }] } };
  const label = (v: unknown) => ({ labels: [{ key: READINESS_CHECK_LABEL, value: JSON.stringify(v) }] });
  const d = parseTaskChecks(task({ discovery, labels: label({}) })).readiness!;
  t.same(d, {
    kind: 'readiness',
    name: 'readinessCheck',
    protocol: 'HTTP',
    portName: 'http-api',
    probe: { type: 'HTTP', scheme: 'http', host: '127.0.0.1', port: 8080, path: '/', followRedirects: false },
    intervalMs: 30000,
    timeoutMs: 10000,
    httpStatusCodesForReady: [200],
    preserveLastResponse: false,
  }, 'Marathon defaults');
  const tcp = parseTaskChecks(task({ discovery, labels: label({ protocol: 'TCP', portName: 'admin', intervalSeconds: 2, timeoutSeconds: 1 }) })).readiness!;
  t.same(tcp.probe, { type: 'TCP', host: '127.0.0.1', port: 9000 });
  const cmd = parseTaskChecks(task({ labels: label({ protocol: 'COMMAND', command: { value: 'test -f ready' } }) })).readiness!;
  t.same(cmd.probe, { type: 'COMMAND', shell: true, value: 'test -f ready', argv: [], environment: {} });

  const f = createTaskCheckFactory();
  const L = `TaskInfo.labels[${READINESS_CHECK_LABEL}]`;
  const bad: Array<[unknown, string, string]> = [
    [{ portName: 'nope' }, `${L}.portName`, `${L}.portName "nope" names no port in TaskInfo.discovery.ports ("http-api", "admin")`],
    [{ protocol: 'UDP' }, `${L}.protocol`, `${L}.protocol: unknown enum value "UDP" (expected one of HTTP, HTTPS, TCP, COMMAND)`],
    [{ intervalSeconds: 5, timeoutSeconds: 5 }, `${L}.timeoutSeconds`, `${L}.timeoutSeconds must be less than intervalSeconds (5), got 5`],
    [{ httpStatusCodesForReady: [] }, `${L}.httpStatusCodesForReady`, `${L}.httpStatusCodesForReady must be a non-empty array, got []`],
    [{ path: 'ready' }, `${L}.path`, `${L}.path must start with '/', got "ready"`],
    [{ preserveLastResponse: 'yes' }, `${L}.preserveLastResponse`, `${L}.preserveLastResponse must be a boolean, got "yes"`],
    [{ protocol: 'COMMAND' }, `${L}.command`, `${L}.command is required for a COMMAND readiness check`],
    [{ colour: 'red' }, `${L}.colour`, `${L}.colour is not a readiness check field`],
  ];
  const refusal = (info: mesos.TaskInfo) => {
    const parsed = f.parse(info);
    return parsed.ok ? 'accepted' : `${parsed.field}: ${parsed.message}`;
  };
  for (const [json, field, message] of bad) t.equal(refusal(task({ discovery, labels: label(json) })), `${field}: ${message}`, message);
  const notJson = refusal(task({ labels: { labels: [{ key: READINESS_CHECK_LABEL, value: '{not json' }] } }));
  t.ok(notJson.startsWith(`${L}: ${L} is not valid JSON`), `label value that is not JSON: ${notJson}`);
});
