// The executor's node:http client (executor/http-client.ts) against real loopback and
// unix-socket servers: one connection, calls in order, the idle timeout, the capped
// text(), and destroy() failing whatever is in flight; and the same over TLS.
import t, { type Test } from 'tap';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { AgentTlsError } from '../../common/errors.js';
import { Client, HttpTimeoutError, MAX_TEXT_BYTES } from '../../executor/http-client.js';
import { parseLibprocessSsl } from '../../executor/tls-config.js';
import { TlsConnector } from '../../executor/tls-connector.js';
import { sslEnvironment, testPki, type Pki, type PkiName } from '../helpers/tls.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

async function serve(t: Test, handler: Handler, listen: { socketPath?: string } = {}): Promise<{ origin: string; connections: () => number }> {
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks)));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => (listen.socketPath ? server.listen(listen.socketPath, resolve) : server.listen(0, '127.0.0.1', resolve)));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const origin = listen.socketPath ? 'http://localhost' : `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, connections: () => connections };
}

function post(body: string): { method: string; path: string; headers: Record<string, string>; body: Buffer } {
  return { method: 'POST', path: '/api/v1/executor', headers: { 'content-type': 'application/json' }, body: Buffer.from(body) };
}

t.test('calls go out in order on one keep-alive connection, with their body and content-length', async (t) => {
  const seen: string[] = [];
  const server = await serve(t, (req, res, body) => {
    seen.push(`${req.method} ${req.url} ${req.headers['content-type']} ${req.headers['content-length']} ${body.toString()}`);
    res.writeHead(202).end();
  });
  const client = new Client(server.origin, { idleTimeoutMs: 5000 });
  t.teardown(() => client.destroy());
  let connects = 0;
  client.on('connect', () => connects++);
  const answers = await Promise.all(['a', 'bb', 'ccc'].map(async (b) => {
    const res = await client.request(post(b));
    await res.body.text();
    return res.statusCode;
  }));
  t.same(answers, [202, 202, 202]);
  t.same(seen, [
    'POST /api/v1/executor application/json 1 a',
    'POST /api/v1/executor application/json 2 bb',
    'POST /api/v1/executor application/json 3 ccc',
  ], 'the agent got the calls in the order they were made');
  t.equal(server.connections(), 1, 'one connection carried them all');
  t.equal(connects, 1, "'connect' once, for the one connection");
});

t.test('a streamed answer arrives piece by piece, before it ends', async (t) => {
  let finish!: () => void;
  const server = await serve(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/x-protobuf' });
    res.write('first');
    finish = () => res.end('last');
  });
  const client = new Client(server.origin, { idleTimeoutMs: 0 });
  t.teardown(() => client.destroy());
  const res = await client.request(post('subscribe'));
  t.equal(res.headers['content-type'], 'application/x-protobuf');
  const pieces: string[] = [];
  for await (const chunk of res.body) {
    pieces.push(chunk.toString());
    if (pieces.length === 1) finish();
  }
  t.same(pieces, ['first', 'last']);
});

t.test('no answer within idleTimeoutMs: the call fails with E_HTTP_TIMEOUT', async (t) => {
  const server = await serve(t, () => {
    // never answers
  });
  const client = new Client(server.origin, { idleTimeoutMs: 100 });
  t.teardown(() => client.destroy());
  const err = await client.request(post('x')).catch((e: unknown) => e);
  t.type(err, HttpTimeoutError);
  t.equal((err as HttpTimeoutError).code, 'E_HTTP_TIMEOUT');
  t.match((err as Error).message, /no answer from 127\.0\.0\.1:\d+ for 100 ms/);
});

t.test('a body that stalls after its head fails with E_HTTP_TIMEOUT too', async (t) => {
  const server = await serve(t, (_req, res) => {
    res.writeHead(500);
    res.write('partial');
  });
  const client = new Client(server.origin, { idleTimeoutMs: 100 });
  t.teardown(() => client.destroy());
  const res = await client.request(post('x'));
  t.equal(res.statusCode, 500);
  await t.rejects(res.body.text(), { code: 'E_HTTP_TIMEOUT' });
});

t.test('text() keeps the first MAX_TEXT_BYTES of a large body and reads the rest', async (t) => {
  const big = 'x'.repeat(MAX_TEXT_BYTES * 3);
  const server = await serve(t, (_req, res) => res.writeHead(400).end(big));
  const client = new Client(server.origin, { idleTimeoutMs: 5000 });
  t.teardown(() => client.destroy());
  const res = await client.request(post('x'));
  const text = await res.body.text();
  t.equal(text.length, MAX_TEXT_BYTES);
  // The connection is free again only if the whole body was consumed.
  const again = await client.request(post('y'));
  t.equal(again.statusCode, 400);
  again.body.destroy();
});

t.test('connection refused: the error names the address', async (t) => {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const client = new Client(`http://127.0.0.1:${port}`, { idleTimeoutMs: 5000 });
  t.teardown(() => client.destroy());
  await t.rejects(client.request(post('x')), { code: 'ECONNREFUSED', message: `connect ECONNREFUSED 127.0.0.1:${port}` });
});

t.test('destroy() fails the waiting call and the open stream, and refuses new ones', async (t) => {
  let callArrived!: () => void;
  const arrived = new Promise<void>((resolve) => (callArrived = resolve));
  const server = await serve(t, (req, res) => {
    if (req.url === '/stream') {
      res.writeHead(200);
      res.write('event');
    } else {
      callArrived(); // and never answered
    }
  });
  const streamClient = new Client(server.origin, { idleTimeoutMs: 0 });
  const callClient = new Client(server.origin, { idleTimeoutMs: 0 });
  const stream = await streamClient.request({ ...post('s'), path: '/stream' });
  const iterator = stream.body[Symbol.asyncIterator]();
  t.equal((await iterator.next()).value?.toString(), 'event');
  const waiting = callClient.request(post('c'));
  await arrived;
  streamClient.destroy();
  callClient.destroy();
  const [next, call] = await Promise.allSettled([iterator.next(), waiting]);
  t.match(next, { status: 'rejected', reason: { code: 'ECONNRESET', message: 'aborted' } }, 'the stream breaks');
  t.match(call, { status: 'rejected', reason: { code: 'ECONNRESET', message: 'socket hang up' } }, 'the waiting call fails');
  await t.rejects(callClient.request(post('d')), { message: 'client is destroyed' });
});

t.test('over a unix socket (MESOS_DOMAIN_SOCKET)', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'http-client-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const socketPath = path.join(dir, 'agent.sock');
  const server = await serve(t, (req, res) => res.writeHead(200).end(`${req.url} via unix socket`), { socketPath });
  const client = new Client(server.origin, { socketPath, idleTimeoutMs: 5000 });
  t.teardown(() => client.destroy());
  let connected = false;
  client.on('connect', () => (connected = true));
  const res = await client.request(post('x'));
  t.equal(await res.body.text(), '/api/v1/executor via unix socket');
  t.ok(connected, "'connect' fires for a unix socket too");
});

// --- TLS (executor/tls-connector.ts) ----------------------------------------------------------

async function serveTls(
  t: Test,
  pki: Pki,
  name: PkiName,
  options: { maxVersion?: 'TLSv1.2' } = {},
): Promise<{ origin: string; connections: () => number; servernames: Array<string | false>; protocols: Array<string | null> }> {
  const server = https.createServer({ cert: pki.chain(name), key: readFileSync(pki.key(name)), ...options }, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(202).end());
  });
  let connections = 0;
  const servernames: Array<string | false> = [];
  const protocols: Array<string | null> = [];
  server.on('secureConnection', (s) => {
    connections++;
    protocols.push(s.getProtocol());
    servernames.push((s as unknown as { servername: string | false }).servername);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections, servernames, protocols };
}

function connector(pki: Pki, env: Record<string, string>): TlsConnector {
  return new TlsConnector(parseLibprocessSsl(sslEnvironment(pki, env)).ssl);
}

t.test('TLS: calls in order on one kept-alive connection; connect once the handshake passed; no SNI', async (t) => {
  const pki = testPki(t);
  const server = await serveTls(t, pki, 'agent');
  const client = new Client(server.origin, { idleTimeoutMs: 5000, tls: connector(pki, { LIBPROCESS_SSL_VERIFY_SERVER_CERT: '1', LIBPROCESS_SSL_CA_FILE: pki.cert('ca') }) });
  t.teardown(() => client.destroy());
  let connects = 0;
  client.on('connect', () => connects++);
  for (const b of ['a', 'bb', 'ccc']) {
    const res = await client.request(post(b));
    await res.body.text();
    t.equal(res.statusCode, 202);
  }
  t.equal(server.connections(), 1, 'one TLS connection carried them all');
  t.equal(connects, 1);
  t.same(server.servernames, [false], 'no server name indication');
});

t.test('TLS: a refused certificate is an AgentTlsError naming the setting; no connect event', async (t) => {
  const pki = testPki(t);
  const cases: Array<[string, PkiName, Record<string, string>, string, RegExp]> = [
    ['unknown CA', 'wrong-agent', { LIBPROCESS_SSL_VERIFY_SERVER_CERT: '1', LIBPROCESS_SSL_CA_FILE: pki.cert('ca') }, 'LIBPROCESS_SSL_CA_FILE', /UNABLE_TO|SELF_SIGNED/],
    ['chain deeper than VERIFICATION_DEPTH', 'agent-chained', { LIBPROCESS_SSL_VERIFY_SERVER_CERT: '1', LIBPROCESS_SSL_CA_FILE: pki.cert('ca'), LIBPROCESS_SSL_VERIFICATION_DEPTH: '0' }, 'LIBPROCESS_SSL_VERIFICATION_DEPTH', /^CERT_CHAIN_TOO_LONG$/],
    ['openssl scheme, IP URL, no VERIFY_IPADD', 'agent', { LIBPROCESS_SSL_VERIFY_SERVER_CERT: '1', LIBPROCESS_SSL_CA_FILE: pki.cert('ca'), LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME: 'openssl' }, 'LIBPROCESS_SSL_VERIFY_IPADD', /^ERR_LIBPROCESS_NO_DNS_NAME$/],
  ];
  for (const [what, name, env, variable, tlsCode] of cases) {
    const server = await serveTls(t, pki, name);
    const client = new Client(server.origin, { idleTimeoutMs: 5000, tls: connector(pki, env) });
    let connects = 0;
    client.on('connect', () => connects++);
    const err = await client.request(post('x')).then(() => undefined, (e: unknown) => e);
    client.destroy();
    t.type(err, AgentTlsError, what);
    t.match(err, { variable, tlsCode }, `${what}: ${variable}`);
    t.equal(connects, 0, `${what}: not counted as connected`);
  }
});

t.test('TLS: an intermediate CA within VERIFICATION_DEPTH (1) passes', async (t) => {
  const pki = testPki(t);
  const server = await serveTls(t, pki, 'agent-chained');
  const tls = connector(pki, { LIBPROCESS_SSL_VERIFY_SERVER_CERT: '1', LIBPROCESS_SSL_CA_FILE: pki.cert('ca'), LIBPROCESS_SSL_VERIFICATION_DEPTH: '1' });
  const client = new Client(server.origin, { idleTimeoutMs: 5000, tls });
  t.teardown(() => client.destroy());
  t.equal((await client.request(post('x'))).statusCode, 202);
});

t.test('TLS: versions from ENABLE_TLS_V1_x; none in common with the agent points at them', async (t) => {
  const pki = testPki(t);
  const modern = await serveTls(t, pki, 'agent');
  const cases: Array<[Record<string, string>, string]> = [
    [{}, 'TLSv1.2'],
    [{ LIBPROCESS_SSL_ENABLE_TLS_V1_3: 'true' }, 'TLSv1.3'],
  ];
  for (const [env, protocol] of cases) {
    const client = new Client(modern.origin, { idleTimeoutMs: 5000, tls: connector(pki, env) });
    await (await client.request(post('x'))).body.text();
    client.destroy();
    t.equal(modern.protocols.at(-1), protocol, `${JSON.stringify(env)} → ${protocol}`);
  }
  const old = await serveTls(t, pki, 'agent', { maxVersion: 'TLSv1.2' });
  const client = new Client(old.origin, { idleTimeoutMs: 5000, tls: connector(pki, { LIBPROCESS_SSL_ENABLE_TLS_V1_3: 'true', LIBPROCESS_SSL_ENABLE_TLS_V1_2: 'false' }) });
  t.teardown(() => client.destroy());
  const err = await client.request(post('x')).then(() => undefined, (e: unknown) => e);
  t.match(err, { code: 'E_AGENT_TLS', variable: 'LIBPROCESS_SSL_ENABLE_TLS_V1_2', tlsCode: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' }, 'TLS 1.3 only against a TLS 1.2 agent');
});

t.test('TLS: a plain-HTTP agent is an AgentTlsError pointing at LIBPROCESS_SSL_ENABLED', async (t) => {
  const pki = testPki(t);
  const server = await serve(t, (_req, res) => res.writeHead(202).end());
  const client = new Client(server.origin.replace('http:', 'https:'), { idleTimeoutMs: 5000, tls: connector(pki, {}) });
  t.teardown(() => client.destroy());
  const err = await client.request(post('x')).then(() => undefined, (e: unknown) => e);
  t.match(err, { code: 'E_AGENT_TLS', variable: 'LIBPROCESS_SSL_ENABLED' });
});
