// HTTP probes against real local servers on port 0.
import t from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { probeHttp } from '../../checks/http-probe.js';
import { CheckScheduler } from '../../checks/scheduler.js';
import { systemClock } from '../../common/clock.js';
import type { HttpSpec } from '../../checks/definitions.js';
import type { ProbeOutcome } from '../../checks/outcome.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(t: { teardown(fn: () => unknown): void }, handler: Handler, host = '127.0.0.1'): Promise<number> {
  const server = createServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, host);
  await once(server, 'listening');
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

const spec = (port: number, path = '/', extra: Partial<HttpSpec> = {}): HttpSpec => ({ type: 'HTTP', scheme: 'http', host: '127.0.0.1', port, path, followRedirects: true, ...extra });
const probe = (s: HttpSpec, extra = {}) => probeHttp(s, { signal: new AbortController().signal, ...extra });

/** Runs the probe through the scheduler with a real deadline, as the executor does. */
function probeWithTimeout(s: HttpSpec, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const scheduler = new CheckScheduler({ clock: systemClock, random: () => 0 });
    const entry = scheduler.add(
      {
        run: (signal) => probeHttp(s, { signal }),
        onOutcome: (o) => {
          entry.stop();
          resolve(o);
        },
      },
      { delayMs: 0, intervalMs: 1000, timeoutMs },
    );
  });
}

t.test('200 and 503 are results with the status code', async (t) => {
  const port = await serve(t, (req, res) => res.writeHead(req.url === '/ok' ? 200 : 503).end('x'));
  t.match(await probe(spec(port, '/ok')), { kind: 'result', result: { type: 'HTTP', statusCode: 200, redirects: 0, bodyBytes: 1 } });
  t.match(await probe(spec(port, '/down')), { kind: 'result', result: { type: 'HTTP', statusCode: 503 } });
});

t.test('redirects: same host followed (relative Location), other host refused, loop capped at 50', async (t) => {
  let hits = 0;
  const port = await serve(t, (req, res) => {
    hits++;
    if (req.url === '/a') return void res.writeHead(302, { location: 'b' }).end();
    if (req.url === '/b') return void res.writeHead(301, { location: `http://localhost:${(req.socket.localPort)}/c` }).end();
    if (req.url === '/c') return void res.writeHead(200).end('done');
    if (req.url === '/away') return void res.writeHead(302, { location: 'http://192.0.2.10/steal' }).end();
    if (req.url === '/otherport') return void res.writeHead(307, { location: 'http://127.0.0.1:1/' }).end();
    if (req.url?.startsWith('/loop')) return void res.writeHead(302, { location: `/loop${Number(req.url.slice(5) || 0) + 1}` }).end();
    res.writeHead(404).end();
  });
  t.match(await probe(spec(port, '/a')), { kind: 'result', result: { statusCode: 200, redirects: 2 } }, 'final status after following to the same host');
  t.same(await probe(spec(port, '/away')), { kind: 'error', code: 'REDIRECT', message: 'redirect to another host refused: http://192.0.2.10/steal' });
  t.same(await probe(spec(port, '/otherport')), { kind: 'error', code: 'REDIRECT', message: 'redirect to another host refused: http://127.0.0.1:1/' });
  hits = 0;
  t.same(await probe(spec(port, '/loop')), { kind: 'error', code: 'REDIRECT', message: 'more than 50 redirects' });
  t.equal(hits, 51, 'the original request and 50 redirects, as curl --max-redirs 50');
  t.match(await probe(spec(port, '/a', { followRedirects: false })), { kind: 'result', result: { statusCode: 302, redirects: 0 } }, 'readiness mode: first response only');
});

t.test('connection refused is an error; garbage reply is a protocol error', async (t) => {
  const closed = createNetServer();
  closed.listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const deadPort = (closed.address() as { port: number }).port;
  closed.close();
  await once(closed, 'close');
  t.same(await probe(spec(deadPort)), { kind: 'error', code: 'REFUSED', message: 'connection refused' });

  const garbage: NetServer = createNetServer((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
  garbage.listen(0, '127.0.0.1');
  await once(garbage, 'listening');
  t.teardown(() => garbage.close());
  const o = await probe(spec((garbage.address() as { port: number }).port));
  t.match(o, { kind: 'error', code: 'PROTOCOL' }, JSON.stringify(o));
});

t.test('a hanging target hits the timeout and its socket is torn down', async (t) => {
  let serverSocket: Socket | undefined;
  const port = await serve(t, (req) => {
    serverSocket = req.socket; // never answers
  });
  const started = Date.now();
  const o = await probeWithTimeout(spec(port), 300);
  t.same(o, { kind: 'error', code: 'TIMEOUT', message: 'timed out after 300ms' });
  t.ok(Date.now() - started >= 300);
  t.ok(serverSocket);
  if (!serverSocket!.destroyed) await once(serverSocket!, 'close');
  t.pass('the server saw the probe connection closed');
});

t.test('a 10 MB body is drained, counted and not kept', async (t) => {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const total = 160 * chunk.length; // 10 MiB
  const port = await serve(t, async (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    for (let i = 0; i < 160; i++) if (!res.write(chunk)) await once(res, 'drain');
    res.end();
  });
  const o = await probe(spec(port));
  t.match(o, { kind: 'result', result: { statusCode: 200, bodyBytes: total } });
  t.notOk('body' in (o as { result: object }).result, 'nothing of the body is kept');
  const kept = await probe(spec(port), { captureBodyBytes: 100 });
  t.equal((kept as { result: { body: string } }).result.body, 'a'.repeat(100), 'a capture is bounded');
});

t.test('a never-ending body ends at the timeout; the server stops writing (backpressure, no buffering)', async (t) => {
  let written = 0;
  let serverClosed: Promise<unknown> | undefined;
  const port = await serve(t, async (req, res) => {
    serverClosed = new Promise((resolve) => req.socket.on('close', resolve));
    req.socket.on('error', () => undefined); // the probe resets the connection on purpose
    res.writeHead(200);
    const chunk = Buffer.alloc(16 * 1024, 'z');
    while (!res.destroyed) {
      written += chunk.length;
      if (!res.write(chunk)) await new Promise((resolve) => { res.once('drain', resolve); res.once('close', resolve); });
    }
  });
  const o = await probeWithTimeout(spec(port), 400);
  t.same(o, { kind: 'error', code: 'TIMEOUT', message: 'timed out after 400ms' });
  await serverClosed;
  t.ok(written > 0, `server wrote ${written} bytes before the probe hung up`);
});

t.test('https without certificate verification, and IPv6 [::1]', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'checks-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=not-this-host', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.writeHead(204).end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  t.match(await probe(spec(port, '/', { scheme: 'https' })), { kind: 'result', result: { statusCode: 204 } }, 'self-signed certificate for another name accepted');
  t.match(await probe(spec(port, '/', { scheme: 'http' })), { kind: 'error' }, 'plain HTTP to a TLS port is an error');

  const v6 = await serve(t, (_req, res) => res.writeHead(200).end(), '::1');
  t.match(await probe(spec(v6, '/', { host: '::1' })), { kind: 'result', result: { statusCode: 200 } });
});

t.test('per-origin pools are bounded: the least recently used one is closed', async (t) => {
  const { poolCount, setMaxPools } = await import('../../checks/http-probe.js');
  setMaxPools(2);
  t.teardown(() => setMaxPools(1024));
  const ports = [await serve(t, (_q, r) => r.end('a')), await serve(t, (_q, r) => r.end('b')), await serve(t, (_q, r) => r.end('c'))];
  for (const p of [...ports, ports[0]!]) t.match(await probe(spec(p)), { kind: 'result', result: { statusCode: 200 } });
  t.equal(poolCount(), 2);
  t.throws(() => setMaxPools(0), { name: 'RangeError', message: 'maxPools must be an integer >= 1, got 0' });
});
