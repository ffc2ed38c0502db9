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
import { drainedOrClosed } from '../../common/drained.js';
import { listenOnLoopback, releasedPort } from '../helpers/ports.js';

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
  const deadPort = await releasedPort();
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
  const o = await probeWithTimeout(spec(port), 300);
  // The outcome names the timeout that fired; a wall-clock reading here would only test Node's timers.
  t.same(o, { kind: 'error', code: 'TIMEOUT', message: 'timed out after 300ms' });
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
      if (!res.write(chunk)) {
        await drainedOrClosed(res);
      }
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


/**
 * A raw TCP target: `reply` gets each connection and the request bytes once the request's
 * blank line arrived. Connections are destroyed in teardown (some are left open on purpose).
 */
async function rawServe(t: { teardown(fn: () => unknown): void }, reply: (s: Socket, request: string) => void | Promise<void>): Promise<number> {
  const server = createNetServer((s) => {
    s.on('error', () => undefined);
    let request = '';
    s.on('data', (d) => {
      const before = request.includes('\r\n\r\n');
      request += d.toString('latin1');
      if (!before && request.includes('\r\n\r\n')) void reply(s, request);
    });
  });
  return listenOnLoopback(t, server);
}

/** Writes `text` one byte per event-loop turn, so that the probe reads it in 1-byte pieces. */
async function dribble(s: Socket, text: string): Promise<void> {
  s.setNoDelay(true);
  for (const byte of Buffer.from(text, 'latin1')) {
    if (s.destroyed) return;
    s.write(Buffer.of(byte));
    await new Promise((r) => setImmediate(r));
  }
}

t.test('the request: GET with Host, User-Agent, Accept and Connection: close, nothing else', async (t) => {
  let seen = '';
  const port = await rawServe(t, (s, request) => {
    seen = request;
    s.end('HTTP/1.1 200 OK\r\n\r\n');
  });
  const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  t.match(await probe(spec(port, '/health?deep=1')), { kind: 'result', result: { statusCode: 200, bodyBytes: 0 } }, 'no Content-Length: the body ends when the server closes');
  t.equal(seen, `GET /health?deep=1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: mesos-sidecar/${version}\r\nAccept: */*\r\nConnection: close\r\n\r\n`);
});

t.test('a response arriving one byte per read: status line and headers split anywhere', async (t) => {
  const port = await rawServe(t, async (s) => {
    await dribble(s, 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\ndown');
    s.end();
  });
  const o = await probe(spec(port), { captureBodyBytes: 100 });
  t.same(o, { kind: 'result', result: { type: 'HTTP', statusCode: 503, redirects: 0, bodyBytes: 4, contentType: 'text/plain', body: 'down' } }, 'the 100 Continue before it is skipped');
});

t.test('a server that keeps the connection open despite Connection: close does not hang the probe', async (t) => {
  // No deadline at all here: if the probe waited for the server to close, the test would time out.
  const lengthPort = await rawServe(t, (s) => void s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'));
  t.same(await probe(spec(lengthPort)), { kind: 'result', result: { type: 'HTTP', statusCode: 200, redirects: 0, bodyBytes: 5 } }, 'Content-Length honoured');

  const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 999\r\n\r\n5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n';
  const chunkedPort = await rawServe(t, (s) => void s.write(chunked));
  t.same(await probe(spec(chunkedPort), { captureBodyBytes: 100 }), { kind: 'result', result: { type: 'HTTP', statusCode: 200, redirects: 0, bodyBytes: 11, body: 'hello world' } }, 'chunked framing read to its last chunk and trailer; chunked wins over Content-Length');

  const dribbledPort = await rawServe(t, (s) => dribble(s, chunked));
  t.same(await probe(spec(dribbledPort), { captureBodyBytes: 100 }), { kind: 'result', result: { type: 'HTTP', statusCode: 200, redirects: 0, bodyBytes: 11, body: 'hello world' } }, 'the same, one byte per read');

  const noBodyPort = await rawServe(t, (s) => void s.write('HTTP/1.1 204 No Content\r\n\r\n'));
  t.match(await probe(spec(noBodyPort)), { kind: 'result', result: { statusCode: 204, bodyBytes: 0 } }, '204 has no body');
});

t.test('bad responses: each a PROTOCOL or RESET error naming what was wrong, none waits for a deadline', async (t) => {
  const cases: Array<[string, (s: Socket) => void, { code: string; message: string }]> = [
    ['headers over 16 KiB, connection left open', (s) => void s.write(`HTTP/1.1 200 OK\r\nX-Pad: ${'a'.repeat(20_000)}\r\n`), { code: 'PROTOCOL', message: 'response headers too large (more than 16384 bytes)' }],
    ['a body shorter than its Content-Length', (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n1234567'), { code: 'PROTOCOL', message: 'connection closed with 3 bytes of the body (Content-Length) missing' }],
    ['a chunk size that is not hex', (s) => void s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'), { code: 'PROTOCOL', message: 'invalid chunked encoding (no chunk size)' }],
    ['a chunk size followed by garbage', (s) => void s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5z\r\n'), { code: 'PROTOCOL', message: 'invalid chunked encoding (byte 0x7a in a chunk size)' }],
    ['a chunked body cut short', (s) => s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel'), { code: 'PROTOCOL', message: 'connection closed before the last chunk of a chunked body' }],
    ['a Content-Length that is not a number', (s) => void s.write('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'), { code: 'PROTOCOL', message: 'invalid Content-Length "-1"' }],
    ['a status line of another protocol', (s) => void s.write('HTTP/2 200\r\n\r\n'), { code: 'PROTOCOL', message: 'not an HTTP response (status line "HTTP/2 200")' }],
    ['a banner that is not HTTP, connection left open', (s) => void s.write('220 smtp.example ESMTP\r\n'), { code: 'PROTOCOL', message: 'not an HTTP response' }],
    ['headers cut short', (s) => s.end('HTTP/1.1 200 OK\r\nContent-'), { code: 'PROTOCOL', message: 'connection closed in the middle of the response headers' }],
    ['closed without a byte', (s) => s.end(), { code: 'RESET', message: 'connection closed before any response' }],
    ['reset by the server', (s) => s.resetAndDestroy(), { code: 'RESET', message: 'connection reset (ECONNRESET)' }],
  ];
  for (const [what, reply, error] of cases) {
    const port = await rawServe(t, reply);
    t.same(await probe(spec(port)), { kind: 'error', ...error }, what);
  }
});

t.test('status lines and header names, read in place: each response and the outcome it gives', async (t) => {
  // Connections are left open after the response: a Content-Length not recognised would
  // make the probe wait for the close and end at the deadline (TIMEOUT), never pass.
  const cases: Array<[string, string, object]> = [
    ['HTTP/1.0 and a reason', 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', { kind: 'result', result: { statusCode: 200, bodyBytes: 0 } }],
    ['no reason phrase', 'HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n', { kind: 'result', result: { statusCode: 404 } }],
    ['no reason phrase, bare LF line ends', 'HTTP/1.1 503\nContent-Length: 0\n\n', { kind: 'result', result: { statusCode: 503 } }],
    ['header names in capitals, no space after the colon', 'HTTP/1.1 200 OK\r\nCONTENT-TYPE:text/html\r\nCONTENT-LENGTH:3\r\n\r\nabc', { kind: 'result', result: { statusCode: 200, contentType: 'text/html', bodyBytes: 3 } }],
    ['mixed case, a colon in a value, padding around it', 'HTTP/1.1 200 OK\r\nx-at: 1:2\r\ncOnTeNt-LeNgTh:   2  \r\n\r\nok', { kind: 'result', result: { statusCode: 200, bodyBytes: 2 } }],
    ['chunked as the last of several codings', 'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n', { kind: 'result', result: { statusCode: 200, bodyBytes: 2 } }],
    ['three digits then a letter', 'HTTP/1.1 200OK\r\n\r\n', { kind: 'error', code: 'PROTOCOL', message: 'not an HTTP response (status line "HTTP/1.1 200OK")' }],
    ['two digits', 'HTTP/1.1 20 OK\r\n\r\n', { kind: 'error', code: 'PROTOCOL', message: 'not an HTTP response (status line "HTTP/1.1 20 OK")' }],
    ['four digits', 'HTTP/1.1 2000 OK\r\n\r\n', { kind: 'error', code: 'PROTOCOL', message: 'not an HTTP response (status line "HTTP/1.1 2000 OK")' }],
    ['a letter among the digits', 'HTTP/1.1 2x0 OK\r\n\r\n', { kind: 'error', code: 'PROTOCOL', message: 'not an HTTP response (status line "HTTP/1.1 2x0 OK")' }],
    ['HTTP/1.2', 'HTTP/1.2 200 OK\r\n\r\n', { kind: 'error', code: 'PROTOCOL', message: 'not an HTTP response (status line "HTTP/1.2 200 OK")' }],
    ['two spaces before the code', 'HTTP/1.1  200 OK\r\n\r\n', { kind: 'error', code: 'PROTOCOL', message: 'not an HTTP response (status line "HTTP/1.1  200 OK")' }],
    ['a conflicting second Content-Length in capitals', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nCONTENT-LENGTH: 3\r\n\r\nok', { kind: 'error', code: 'PROTOCOL', message: 'conflicting Content-Length headers 2 and 3' }],
  ];
  for (const [what, response, outcome] of cases) {
    const port = await rawServe(t, (s) => void s.write(response));
    t.match(await probeWithTimeout(spec(port), 5000), outcome, what);
  }
  // A name one letter off is another header: the body then runs to the close.
  const port = await rawServe(t, (s) => void s.end('HTTP/1.1 200 OK\r\nContent-Lengtx: 1\r\n\r\nabcd'));
  t.match(await probe(spec(port)), { kind: 'result', result: { statusCode: 200, bodyBytes: 4 } }, 'Content-Lengtx is not Content-Length');
  const redirect = await rawServe(t, (s, request) => void s.end(request.startsWith('GET /next ') ? 'HTTP/1.1 204 No Content\r\n\r\n' : 'HTTP/1.1 302 Found\r\nLOCATION: /next\r\nContent-Length: 0\r\n\r\n'));
  t.match(await probe(spec(redirect)), { kind: 'result', result: { statusCode: 204, redirects: 1 } }, 'LOCATION in capitals is followed');
});

t.test('a redirect to the same port by another loopback name is followed; an invalid Location is an error', async (t) => {
  const port = await rawServe(t, (s, request) => {
    if (request.startsWith('GET /start ')) return void s.end(`HTTP/1.1 302 Found\r\nLocation: http://[::1]:${s.localPort}/v6\r\nContent-Length: 0\r\n\r\n`);
    if (request.startsWith('GET /bad ')) return void s.end('HTTP/1.1 302 Found\r\nLocation: http://[bad\r\n\r\n');
    s.end('HTTP/1.1 200 OK\r\n\r\n');
  });
  // [::1] is not listening (the server is on 127.0.0.1): the follow-up fails as refused,
  // which shows it was attempted; the same-host rule treats the loopback names as one.
  t.same(await probe(spec(port, '/start')), { kind: 'error', code: 'REFUSED', message: 'connection refused' });
  t.same(await probe(spec(port, '/bad')), { kind: 'error', code: 'REDIRECT', message: 'redirect to an invalid location "http://[bad"' });
});

t.test('an aborted probe destroys its socket and says so, also on a signal that served earlier probes', async (t) => {
  let serverSide: Socket | undefined;
  let connected!: () => void;
  const gotRequest = new Promise<void>((r) => (connected = r));
  const port = await rawServe(t, (s, request) => {
    if (request.startsWith('GET /ok ')) return void s.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    serverSide = s; // /hang: never answered
    connected();
  });
  // The scheduler reuses a check's signal until it aborts: probes on it come and go.
  const controller = new AbortController();
  for (let i = 0; i < 3; i++) t.match(await probeHttp(spec(port, '/ok'), { signal: controller.signal }), { kind: 'result', result: { statusCode: 200 } });
  const pending = probeHttp(spec(port, '/hang'), { signal: controller.signal });
  await gotRequest;
  controller.abort();
  t.same(await pending, { kind: 'error', code: 'ABORTED', message: 'probe aborted' });
  if (!serverSide!.destroyed) await once(serverSide!, 'close');
  t.pass('the server saw the connection closed');
  t.same(await probeHttp(spec(port, '/ok'), { signal: controller.signal }), { kind: 'error', code: 'ABORTED', message: 'probe aborted' }, 'an aborted signal starts nothing');
});

t.test('node:net fallback: closed sockets are reused for new connections, never after an error or an abort', async (t) => {
  const { idleSocketCount, MAX_IDLE_SOCKETS } = await import('../../checks/http-probe.js');
  // The pool serves only where libuv's handles are not available to us (raw-tcp.ts).
  const { rawTcpAvailable, useRawTcpForTests } = await import('../../checks/raw-tcp.js');
  const before = rawTcpAvailable() ? 'auto' : 'off';
  useRawTcpForTests('off');
  t.teardown(() => useRawTcpForTests(before));
  const connections: Socket[] = [];
  const port = await rawServe(t, (s, request) => {
    connections.push(s);
    if (request.startsWith('GET /hang ')) return;
    s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });
  const garbage = await rawServe(t, (s) => void s.end('garbage\r\n\r\n'));
  const deadPort = await releasedPort();

  const ok = async () => t.same(await probe(spec(port)), { kind: 'result', result: { type: 'HTTP', statusCode: 200, redirects: 0, bodyBytes: 2 } });
  await ok();
  // The socket's 'close' (when it joins the pool) comes a loop turn or two after the outcome.
  for (let turn = 0; turn < 50 && idleSocketCount() === 0; turn++) await new Promise((r) => setImmediate(r));
  const idle = idleSocketCount();
  t.ok(idle >= 1 && idle <= MAX_IDLE_SOCKETS, `a cleanly closed socket waits for reuse (${idle} idle)`);
  await ok();
  t.equal(connections.length, 2, 'each probe is still a new connection');

  // Interleave every way a connection can end badly with good probes on the same pool.
  const controller = new AbortController();
  const hanging = probeHttp(spec(port, '/hang'), { signal: controller.signal });
  while (connections.length < 3) await new Promise((r) => setImmediate(r));
  controller.abort();
  const outcomes = [await hanging, await probe(spec(deadPort)), await probe(spec(garbage)), await probe(spec(port))];
  t.match(outcomes, [{ code: 'ABORTED' }, { code: 'REFUSED' }, { code: 'PROTOCOL' }, { kind: 'result', result: { statusCode: 200 } }]);
  for (let i = 0; i < 20; i++) {
    t.same((await probe(spec(deadPort))).kind, 'error');
    await ok();
  }
});
