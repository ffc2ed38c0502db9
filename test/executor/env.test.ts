import t from 'tap';
import { parseExecutorEnvironment } from '../../executor/env.js';
import { REQUIRED_EXECUTOR_ENV } from '../helpers/tasks.js';

const base = {
  ...REQUIRED_EXECUTOR_ENV,
  MESOS_RECOVERY_TIMEOUT: '15mins',
  MESOS_SUBSCRIPTION_BACKOFF_MAX: '2secs',
  MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: '5secs',
};

t.test('a complete agent environment', async (t) => {
  const c = parseExecutorEnvironment({ ...base, MESOS_EXECUTOR_AUTHENTICATION_TOKEN: 'tok', MESOS_SIDECAR_ENCODING: 'json' });
  t.equal(c.agentUrl, 'http://127.0.0.1:5051');
  t.equal(c.apiPath, '/api/v1/executor');
  t.equal(c.checkpoint, true);
  t.equal(c.recoveryTimeoutMs, 900_000);
  t.equal(c.subscriptionBackoffMaxMs, 2000);
  t.equal(c.shutdownGracePeriodMs, 5000);
  t.equal(c.authToken, 'tok');
  t.equal(c.contentType, 'application/json');
  t.notOk('MESOS_EXECUTOR_AUTHENTICATION_TOKEN' in c.taskEnvironment, 'tasks never see the token');
});

t.test('only "1" turns checkpointing on; the UPID is a fallback for the endpoint', async (t) => {
  const { MESOS_AGENT_ENDPOINT: _, ...noEndpoint } = base;
  const c = parseExecutorEnvironment({ ...noEndpoint, MESOS_CHECKPOINT: '0', MESOS_SLAVE_PID: 'slave(1)@[::1]:5051', LIBPROCESS_SSL_ENABLED: 'true', LIBPROCESS_SSL_CERT_FILE: '/c.pem', LIBPROCESS_SSL_KEY_FILE: '/k.pem' });
  t.equal(c.checkpoint, false);
  t.equal(c.agentUrl, 'https://[::1]:5051');
  t.equal(c.apiPath, '/slave(1)/api/v1/executor');
  t.equal(parseExecutorEnvironment({ ...base, MESOS_SIDECAR_ENCODING: undefined }).contentType, 'application/x-protobuf', 'protobuf by default');
});

t.test('each missing or malformed variable is an EnvironmentError naming it', async (t) => {
  // Each variable with the values refused for it (undefined: unset).
  const refused: Record<string, Array<string | undefined>> = {
    MESOS_FRAMEWORK_ID: [undefined, ''],
    MESOS_EXECUTOR_ID: [''],
    MESOS_AGENT_ENDPOINT: ['localhost', '127.0.0.1', '127.0.0.1:99999'],
    MESOS_SANDBOX: [undefined],
    MESOS_CHECKPOINT: ['true', 'yes'],
    MESOS_RECOVERY_TIMEOUT: ['1 hour', '15 minutes'],
    MESOS_SUBSCRIPTION_BACKOFF_MAX: ['2', '-2secs'],
    MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: ['5s', 'soon'],
    MESOS_SIDECAR_ENCODING: ['xml'],
    LIBPROCESS_SSL_ENABLED: ['yes'],
  };
  const cases: Array<[string, Record<string, string | undefined>]> = [
    ...Object.entries(refused).flatMap(([variable, values]) => values.map((value): [string, Record<string, string | undefined>] => [variable, { [variable]: value }])),
    // Named after the variable at fault, not the one set.
    ['MESOS_SLAVE_PID', { MESOS_AGENT_ENDPOINT: undefined, MESOS_SLAVE_PID: '10.0.0.5:5051' }],
    ['LIBPROCESS_SSL_KEY_FILE', { SSL_ENABLED: '1' }],
  ];
  for (const [variable, patch] of cases) {
    t.throws(() => parseExecutorEnvironment({ ...base, ...patch }), { code: 'E_ENVIRONMENT', variable, message: new RegExp(`^${variable}: `) }, `${variable} ${JSON.stringify(patch)}`);
  }
});

t.test("https exactly when libprocess' reading of the SSL settings says enabled", async (t) => {
  const keys = { LIBPROCESS_SSL_CERT_FILE: '/c.pem', LIBPROCESS_SSL_KEY_FILE: '/k.pem' };
  const cases: Array<[Record<string, string>, string]> = [
    [{}, 'http'],
    [{ LIBPROCESS_SSL_ENABLED: 'false' }, 'http'],
    [{ LIBPROCESS_SSL_ENABLED: '1', ...keys }, 'https'],
    [{ SSL_ENABLED: 'true', ...keys }, 'https'],
    [{ LIBPROCESS_SSL_enabled: '', ...keys }, 'https'],
    // The default executor would read SSL_ENABLED first; libprocess (whose settings make the TLS context) wins.
    [{ SSL_ENABLED: 'true', LIBPROCESS_SSL_ENABLED: 'false' }, 'http'],
  ];
  for (const [env, scheme] of cases) {
    const c = parseExecutorEnvironment({ ...base, ...env });
    t.equal(new URL(c.agentUrl).protocol, `${scheme}:`, JSON.stringify(env));
    t.equal(c.ssl.enabled, scheme === 'https');
  }
  const c = parseExecutorEnvironment({ ...base, SSL_ENABLED: 'true', LIBPROCESS_SSL_ENABLED: 'false' });
  t.same(c.sslWarnings, ['Mismatched values for SSL environment variables SSL_ENABLED and LIBPROCESS_SSL_ENABLED']);
  t.equal(parseExecutorEnvironment({ ...base, LIBPROCESS_SSL_CA_FILE: '/ca.pem' }).taskEnvironment.LIBPROCESS_SSL_CA_FILE, '/ca.pem', 'tasks get the SSL settings');
});
