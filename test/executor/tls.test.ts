// HTTPS to the agent (containers.md §6): the executor as a child process against the
// emulator in TLS mode, with throwaway certificates (test/helpers/tls.ts).
import t, { type Test } from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AgentEmulator, type EmulatorTls, type TlsHandshake } from '../../agent/emulator.js';
import { ENCODINGS, quietLogger, shellTask, uniqueId, type Encoding } from '../helpers/tasks.js';
import { sslEnvironment, testPki } from '../helpers/tls.js';
import { until, waitForFile } from '../helpers/wait.js';

interface TlsHarness {
  agent: AgentEmulator;
  exec: ReturnType<AgentEmulator['spawnExecutor']>;
  handshakes: TlsHandshake[];
  /** The first SUBSCRIBE (registered before the executor starts). */
  subscribed: Promise<unknown>;
  /** Parsed executor log lines whose msg contains `text`. */
  logged(text: string): Array<Record<string, unknown>>;
}

async function startTls(t: Test, options: { tls: EmulatorTls; env: Record<string, string>; encoding?: Encoding; autoAcknowledge?: boolean }): Promise<TlsHarness> {
  const agent = await AgentEmulator.start({
    logger: quietLogger(),
    subscriptionBackoffMax: '100ms',
    tls: options.tls,
    ...(options.autoAcknowledge === false ? { autoAcknowledge: false } : {}),
  });
  t.teardown(() => agent.close());
  const handshakes: TlsHandshake[] = [];
  agent.on('tls', (h: TlsHandshake) => handshakes.push(h));
  const subscribed = agent.waitForSubscribed();
  subscribed.catch(() => undefined); // tests of refused connections never wait for it
  const exec = agent.spawnExecutor({ encoding: options.encoding ?? 'json', env: { MESOS_SIDECAR_LOG_LEVEL: 'debug', ...options.env } });
  t.teardown(() => {
    if (!t.passing()) t.comment(`executor stderr (last 40 lines):\n${exec.stderrLines.slice(-40).join('\n')}`);
  });
  const logged = (text: string): Array<Record<string, unknown>> =>
    exec.stderrLines.flatMap((l) => {
      try {
        const line = JSON.parse(l) as Record<string, unknown>;
        return String(line.msg).includes(text) ? [line] : [];
      } catch {
        return [];
      }
    });
  return { agent, exec, handshakes, subscribed, logged };
}

/** At least `n` failed attempts since the start: the retry loop is still going. */
async function retries(h: TlsHarness, n: number): Promise<void> {
  await until(() => h.logged('disconnected from the agent').length >= n, `${n} reconnection attempts`);
}

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: subscribe, launch, update and acknowledgement over HTTPS; the agent demands and accepts our client certificate`, async (t) => {
    const pki = testPki(t);
    const env = sslEnvironment(pki, { LIBPROCESS_SSL_VERIFY_SERVER_CERT: 'true', LIBPROCESS_SSL_CA_FILE: pki.cert('ca') });
    const h = await startTls(t, { tls: pki.serve('agent', { requireClientCert: true }), env, encoding });
    await h.subscribed;
    t.ok(h.handshakes.length >= 1, 'TLS handshakes happened');
    for (const hs of h.handshakes) {
      t.equal(hs.protocol, 'TLSv1.2', 'TLS 1.2 only by default (LIBPROCESS_SSL_ENABLE_TLS_V1_2)');
      t.equal(hs.servername, false, 'no SNI, as libprocess');
      t.equal(hs.clientCommonName, 'mesos-sidecar-executor', 'our LIBPROCESS_SSL_CERT_FILE was presented and accepted');
    }
    const id = uniqueId('tls-task');
    const envFile = path.join(h.agent.sandbox, 'tasks', id, 'env.txt');
    h.agent.launch(shellTask(id, 'env > env.tmp && mv env.tmp env.txt'));
    t.equal((await h.agent.waitForTerminal(id)).state, 'TASK_FINISHED');
    const states = h.agent.updates.filter((u) => !u.duplicate).map((u) => u.status.state);
    t.same(states, ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED'], 'every update arrived once over HTTPS');
    t.same(h.agent.updates.map((u) => u.contentType)[0], encoding === 'json' ? 'application/json' : 'application/x-protobuf');
    const taskEnv = await waitForFile(envFile);
    t.match(taskEnv, `LIBPROCESS_SSL_CA_FILE=${pki.cert('ca')}`, 'the task inherits the LIBPROCESS_SSL_* settings ([Decision] §6.3)');
    t.same(await h.exec.exited, { code: 0, signal: null }, 'the executor left after the terminal acknowledgement');
    // Two connections (SUBSCRIBE and calls), each kept alive: not one handshake per call.
    t.ok(h.handshakes.length <= 2, `${h.handshakes.length} handshakes for SUBSCRIBE and all the calls`);
  });
}

t.test('HTTPS across an agent restart: the unacknowledged update is resent in SUBSCRIBE', async (t) => {
  const pki = testPki(t);
  const env = sslEnvironment(pki, { LIBPROCESS_SSL_VERIFY_CERT: '1', LIBPROCESS_SSL_CA_FILE: pki.cert('ca') });
  const h = await startTls(t, { tls: pki.serve('agent'), env, encoding: 'protobuf', autoAcknowledge: false });
  await h.subscribed;
  const id = uniqueId('tls-survivor');
  h.agent.launch(shellTask(id, 'while [ ! -e go ]; do sleep 0.05; done'));
  const running = await h.agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
  const again = h.agent.waitForSubscribed();
  await h.agent.restart();
  const call = await again;
  const resent = call.subscribe?.unacknowledged_updates?.map((u) => u.status) ?? [];
  t.same(resent.map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING'], 'both unacknowledged updates came back over the new TLS connection');
  t.equal(resent[1]!.uuid!.toString('hex'), running.uuid!.toString('hex'), 'with the original UUID');
  h.agent.on('update', (u) => h.agent.acknowledge(u.status.uuid!));
  for (const s of resent) h.agent.acknowledge(s.uuid!);
  h.agent.kill(id);
  t.equal((await h.agent.waitForTerminal(id)).state, 'TASK_KILLED');
  t.equal((await h.exec.exited).code, 0);
});

t.test('an agent certificate from an unknown CA: one log line naming LIBPROCESS_SSL_CA_FILE, retries go on, a good certificate is accepted', async (t) => {
  const pki = testPki(t);
  const env = sslEnvironment(pki, { LIBPROCESS_SSL_VERIFY_SERVER_CERT: 'true', LIBPROCESS_SSL_CA_FILE: pki.cert('ca') });
  const h = await startTls(t, { tls: pki.serve('wrong-agent'), env });
  await retries(h, 4);
  const failures = h.logged('TLS connection to the agent failed');
  t.equal(failures.length, 1, 'logged once, not once per retry');
  const warnings = h.exec.stderrLines.filter((l) => l.includes('UNABLE_TO') && !l.includes('"level":20'));
  t.equal(warnings.length, 3, 'above debug: the error line, the first disconnection and the start of the recovery timer; retries only at debug');
  t.equal(failures[0]!.variable, 'LIBPROCESS_SSL_CA_FILE', 'names the variable to fix');
  t.match(String(failures[0]!.tls_code), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/, 'and the TLS error code');
  t.match(String(failures[0]!.msg), /LIBPROCESS_SSL_CA_FILE/);
  t.equal(h.exec.child.exitCode, null, 'the executor keeps running');
  const subscribed = h.agent.waitForSubscribed();
  await h.agent.restart({ tls: pki.serve('agent') });
  await subscribed;
  t.pass('subscribed once the agent presents a certificate from the trusted CA');
});

t.test('without VERIFY_SERVER_CERT the agent certificate is not checked at all', async (t) => {
  const pki = testPki(t);
  const h = await startTls(t, { tls: pki.serve('wrong-agent'), env: sslEnvironment(pki, { LIBPROCESS_SSL_CA_FILE: pki.cert('ca') }) });
  await h.subscribed;
  t.pass('subscribed to an agent whose certificate no trusted CA signed');
});

t.test('openssl scheme: an IP URL without VERIFY_IPADD fails with libprocess message; with it, the IP SAN is checked', async (t) => {
  const pki = testPki(t);
  const base = sslEnvironment(pki, { LIBPROCESS_SSL_VERIFY_SERVER_CERT: 'true', LIBPROCESS_SSL_CA_FILE: pki.cert('ca'), LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME: 'openssl' });
  const refused = await startTls(t, { tls: pki.serve('agent'), env: base });
  await retries(refused, 3);
  const failures = refused.logged('TLS connection to the agent failed');
  t.equal(failures.length, 1, 'logged once');
  t.equal(failures[0]!.variable, 'LIBPROCESS_SSL_VERIFY_IPADD');
  t.equal(failures[0]!.tls_error, 'No DNS name given and IP address verification is  disabled. I cannot work like this :(');
  t.equal(refused.handshakes.length, 0, 'refused before any handshake, as libprocess');

  const accepted = await startTls(t, { tls: pki.serve('agent'), env: { ...base, LIBPROCESS_SSL_VERIFY_IPADD: 'true' } });
  await accepted.subscribed;
  t.pass('VERIFY_IPADD: the agent certificate names 127.0.0.1');

  const noIp = await startTls(t, { tls: pki.serve('agent-dns-only'), env: { ...base, LIBPROCESS_SSL_VERIFY_IPADD: 'true' } });
  await retries(noIp, 2);
  t.equal(noIp.logged('TLS connection to the agent failed')[0]?.tls_code, 'ERR_TLS_CERT_ALTNAME_INVALID', 'a certificate without the IP is refused');
});

t.test('legacy scheme: the reverse-DNS name (localhost) must match a SAN or the CN', async (t) => {
  const pki = testPki(t);
  const env = sslEnvironment(pki, { LIBPROCESS_SSL_VERIFY_SERVER_CERT: 'true', LIBPROCESS_SSL_CA_FILE: pki.cert('ca') });
  const cnOnly = await startTls(t, { tls: pki.serve('agent-cn-only'), env });
  await cnOnly.subscribed;
  t.pass('CN=localhost without SAN is accepted');

  const other = await startTls(t, { tls: pki.serve('agent-other-name'), env });
  await retries(other, 2);
  const failure = other.logged('TLS connection to the agent failed')[0];
  t.equal(failure?.tls_error, 'Presented Certificate Name: other.example does not match peer hostname name: localhost', "libprocess' message");
  t.equal(failure?.variable, 'LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME');
});

t.test('a CA_DIR of PEM files is a trust store', async (t) => {
  const pki = testPki(t);
  // The PKI directory holds the CA among other PEM files and keys.
  const env = sslEnvironment(pki, { LIBPROCESS_SSL_VERIFY_SERVER_CERT: 'true', LIBPROCESS_SSL_CA_DIR: pki.dir });
  const h = await startTls(t, { tls: pki.serve('agent'), env });
  await h.subscribed;
  t.pass('subscribed with the CA found in LIBPROCESS_SSL_CA_DIR');
});

t.test('invalid SSL settings end the executor with exit 2 naming the variable', async (t) => {
  const pki = testPki(t);
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['a boolean that is none', sslEnvironment(pki, { LIBPROCESS_SSL_VERIFY_SERVER_CERT: 'yes' }), /LIBPROCESS_SSL_VERIFY_SERVER_CERT: Failed to load flags .*Expecting a boolean/],
    ['a missing key file', sslEnvironment(pki, { LIBPROCESS_SSL_KEY_FILE: path.join(pki.dir, 'nope.key') }), /LIBPROCESS_SSL_KEY_FILE: Could not load key file/],
    ['a key of another certificate', sslEnvironment(pki, { LIBPROCESS_SSL_KEY_FILE: pki.key('agent') }), /LIBPROCESS_SSL_KEY_FILE: .*does not match/],
    ['a CA file without certificates', sslEnvironment(pki, { LIBPROCESS_SSL_VERIFY_SERVER_CERT: '1', LIBPROCESS_SSL_CA_FILE: pki.key('ca') }), /LIBPROCESS_SSL_CA_FILE: .*holds no PEM certificate/],
  ];
  const agent = await AgentEmulator.start({ logger: quietLogger(), tls: pki.serve('agent') });
  t.teardown(() => agent.close());
  for (const [what, env, message] of cases) {
    const exec = agent.spawnExecutor({ env });
    t.equal((await exec.exited).code, 2, `${what}: exit 2`);
    t.match(exec.stderrLines.join('\n'), message, `${what}: names the variable`);
  }
});

t.test('cold start: node:tls is loaded only when SSL is enabled', async (t) => {
  const pki = testPki(t);
  // A preload that records, at exit, which of node's TLS modules the executor loaded.
  const hook = path.join(pki.dir, 'record-modules.mjs');
  writeFileSync(hook, "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.RECORD_MODULES_TO, JSON.stringify(process.moduleLoadList.filter((m) => /^NativeModule (tls|https|_tls_wrap)$/.test(m)))));\n");
  const run = async (tls: EmulatorTls | undefined, env: Record<string, string>, out: string): Promise<string[]> => {
    const agent = await AgentEmulator.start({ logger: quietLogger(), ...(tls ? { tls } : {}) });
    t.teardown(() => agent.close());
    const subscribed = agent.waitForSubscribed();
    const exec = agent.spawnExecutor({ env: { ...env, NODE_OPTIONS: `--import=${hook}`, RECORD_MODULES_TO: out } });
    await subscribed;
    agent.shutdown();
    t.equal((await exec.exited).code, 0);
    return JSON.parse(readFileSync(out, 'utf8')) as string[];
  };
  t.same(await run(undefined, {}, path.join(pki.dir, 'plain.json')), [], 'plain HTTP: none');
  t.ok((await run(pki.serve('agent'), sslEnvironment(pki), path.join(pki.dir, 'tls.json'))).includes('NativeModule tls'), 'SSL enabled: node:tls');
});
