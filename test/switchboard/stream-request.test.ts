// streamRequest against real servers (loopback TCP and a unix socket): the answer's head and
// body, body chunks in reused buffers that stay intact while retained, a bound on what is
// read ahead of a consumer that does not pull, and cut or refused connections as errors.
import t from 'tap';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { streamRequest, type StreamTarget } from '../../switchboard/stream-request.js';
import { StreamCutError } from '../../switchboard/errors.js';
import { SwitchboardClient } from '../../switchboard/client.js';
import { tcpTimers } from '../helpers/tcp-timers.js';

async function listen(server: net.Server, at: string | number): Promise<StreamTarget> {
  await new Promise<void>((resolve) => (typeof at === 'string' ? server.listen(at, resolve) : server.listen(at, '127.0.0.1', resolve)));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return typeof at === 'string' ? { socketPath: at } : { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
}

const get = (headers: Record<string, string> = {}) => ({ method: 'POST', path: '/api/v1', headers, body: Buffer.from('{}') });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

t.test('head, request and a chunked body, over TCP and a unix socket', async (t) => {
  const payload = randomBytes(3 * 1024 * 1024);
  let seen: { method: string | undefined; url: string | undefined; host: string | undefined; auth: string | undefined; body: string } | undefined;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen = { method: req.method, url: req.url, host: req.headers.host, auth: req.headers.authorization, body };
      res.writeHead(200, { 'Content-Type': 'application/recordio' });
      for (let i = 0; i < payload.length; i += 100_000) res.write(payload.subarray(i, i + 100_000));
      res.end();
    });
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'stream-request-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const target of [await listen(server, 0), await listen(http.createServer(server.listeners('request')[0] as http.RequestListener), path.join(dir, 's.sock'))]) {
    const res = await streamRequest(target, get({ Authorization: 'Bearer x' }));
    t.equal(res.status, 200);
    t.equal(res.headers['content-type'], 'application/recordio');
    // Kept chunks: each retained, so that later reads go elsewhere.
    const kept: Buffer[] = [];
    for await (const { chunk, lease } of res.body) {
      lease.retain();
      kept.push(chunk);
    }
    t.equal(sha(Buffer.concat(kept)), sha(payload), `${target.socketPath ? 'unix socket' : 'TCP'}: every byte, intact while retained`);
    t.same(seen, { method: 'POST', url: '/api/v1', host: target.socketPath ? 'localhost' : `127.0.0.1:${target.port}`, auth: 'Bearer x', body: '{}' });
  }
});

t.test('a chunk not retained is read into again: the buffers are reused', async (t) => {
  const server = http.createServer((_req, res) => {
    res.writeHead(200);
    const block = Buffer.alloc(64 * 1024);
    let n = 0;
    const more = (): void => {
      while (n < 64) {
        block.fill(n++ & 0xff);
        if (!res.write(Buffer.from(block))) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  });
  const res = await streamRequest(await listen(server, 0), get());
  const views: { chunk: Buffer; first: number }[] = [];
  let total = 0;
  for await (const { chunk } of res.body) {
    views.push({ chunk, first: chunk[0]! });
    total += chunk.length;
  }
  t.equal(total, 64 * 64 * 1024);
  const buffers = new Set(views.map((v) => v.chunk.buffer));
  t.ok(buffers.size < 8, `4 MiB read into ${buffers.size} buffers`);
  t.ok(
    views.some((v) => v.chunk[0] !== v.first),
    'some chunk kept without retain was overwritten by a later read (the contract: valid until the next pull)',
  );
});

t.test('a consumer that does not pull: reading stops at the bound', async (t) => {
  // The client socket's pause() is the event: the read-ahead is whatever it had read then.
  let paused!: (bytesRead: number) => void;
  const pausedAt = new Promise<number>((resolve) => (paused = resolve));
  const pause = net.Socket.prototype.pause;
  t.teardown(() => void (net.Socket.prototype.pause = pause));
  net.Socket.prototype.pause = function (this: net.Socket) {
    if (this.remotePort === port) paused(this.bytesRead);
    return pause.call(this);
  };
  const server = http.createServer((_req, res) => {
    res.writeHead(200);
    const block = Buffer.alloc(256 * 1024);
    let written = 0;
    const more = (): void => {
      while (written < 256 * 1024 * 1024 && !res.destroyed) {
        written += block.length;
        if (!res.write(block)) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  });
  const target = await listen(server, 0);
  const port = target.port!;
  const res = await streamRequest(target, { ...get(), highWaterBytes: 1024 * 1024 });
  const first = await res.body.next();
  t.notOk(first.done);
  // The first chunk the consumer holds, a 1 MiB read-ahead, the read that crossed it
  // (one 256 KiB slab at most) and the answer's head and chunk framing.
  const read = await pausedAt;
  t.ok(read <= 1024 * 1024 + 2 * 256 * 1024 + 4096, `paused after ${(read / 2 ** 20).toFixed(2)} MiB of a 256 MiB answer, of which the consumer took one chunk`);
  res.destroy();
  const rest = (async () => {
    for await (const _ of res.body);
  })();
  await t.rejects(rest, StreamCutError, 'the dropped stream ends, after what was read ahead, with StreamCutError');
});

t.test('cut, refused and malformed answers', async (t) => {
  const cut = net.createServer((c) => c.once('data', () => c.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this')));
  const res = await streamRequest(await listen(cut, 0), get());
  const body = (async () => {
    for await (const _ of res.body);
  })();
  await t.rejects(body, { code: 'E_STREAM_CUT', message: /cut off before its end \(the connection closed inside the response body\)/ }, 'a body shorter than its Content-Length');

  const garbage = net.createServer((c) => c.once('data', () => c.end('SSH-2.0-OpenSSH\r\n\r\n')));
  await t.rejects(streamRequest(await listen(garbage, 0), get()), { code: 'E_HTTP_HEAD' }, 'not HTTP: the request fails, typed');

  const reset = net.createServer((c) => c.once('data', () => c.resetAndDestroy()));
  await t.rejects(streamRequest(await listen(reset, 0), get()), { code: 'ECONNRESET' }, 'a reset before any answer');

  const free = net.createServer();
  await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
  const freePort = (free.address() as AddressInfo).port;
  await new Promise<void>((resolve) => free.close(() => resolve()));
  await t.rejects(streamRequest({ host: '127.0.0.1', port: freePort }, get()), { code: 'ECONNREFUSED' }, `nothing listens on ${freePort}`);

  t.throws(() => streamRequest({ host: '127.0.0.1', port: freePort }, get({ 'X-Bad': 'a\r\nInjected: 1' })), TypeError, 'a header value with CR LF is refused before anything is sent');
});

t.test('an answer that goes quiet is probed: TCP keepalive is armed on the client\'s side, for streams and plain requests', async (t) => {
  // Between the server's heartbeats the client only reads; keepalive is what finds a
  // server host that vanished. The client's side is the socket on the port the server saw.
  const accepted: Array<(port: number) => void> = [];
  const ports = [0, 1].map(() => new Promise<number>((resolve) => accepted.push(resolve)));
  const quiet = net.createServer((c) => {
    accepted.shift()!(c.remotePort!);
    c.once('data', () => c.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'));
  });
  const target = await listen(quiet, 0);
  const res = await streamRequest(target, get());
  const req = new SwitchboardClient({ url: `http://127.0.0.1:${target.port}`, token: 'x' }).open('POST', '/api/v1', {});
  req.on('error', () => {});
  req.write('{');
  // keepalive is applied as the socket connects, before 'connect' is emitted.
  await new Promise((resolve) => req.once('socket', (s: net.Socket) => s.once('connect', resolve)));
  const [streamPort, openPort] = await Promise.all(ports);
  t.same(tcpTimers(streamPort!), ['02'], `streamRequest: the keepalive timer is armed on the client's side (port ${streamPort})`);
  t.same(tcpTimers(openPort!), ['02'], `SwitchboardClient.open: the keepalive timer is armed on the client's side (port ${openPort})`);
  res.destroy();
  req.destroy();
});
