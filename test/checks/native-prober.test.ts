// The native prober's own bookkeeping (native/prober.c, checks/native-prober.ts): that it is
// built, that every probe gives its connection back whatever ended it, that many bodies
// share one turn's buffer, that a slot closed during a turn cannot reach the probe that
// takes it next, and that a full table is a fallback to libuv's handles, not a failure.
// The HTTP behaviour itself is http-probe.test.ts, which runs on this prober by default.
import t from 'tap';
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { NATIVE_CAPACITY, NativeConnection, nativeActive, nativeProberAvailable } from '../../checks/native-prober.js';
import type { RawTcpError, RawTcpListener } from '../../checks/raw-tcp.js';
import { probeHttp } from '../../checks/http-probe.js';
import { probeTcp } from '../../checks/tcp-probe.js';
import type { HttpSpec } from '../../checks/definitions.js';
import { listenOnLoopback, releasedPort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

const spec = (port: number, path = '/'): HttpSpec => ({ type: 'HTTP', scheme: 'http', host: '127.0.0.1', port, path, followRedirects: false });

async function rawServer(t: { teardown(fn: () => unknown): void }, onConnection: (s: Socket) => void): Promise<{ port: number; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    onConnection(s);
  });
  t.teardown(() => {
    for (const s of sockets) s.destroy();
  });
  return { port: await listenOnLoopback(t, server), server, sockets };
}

const answer = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

t.test('the addon is built and serves the probes', async (t) => {
  t.ok(nativeProberAvailable(), 'build/Release/prober.node loads: `npm run install` builds it (node-gyp, a C compiler)');
});

t.test('every probe gives its connection back: answered, refused, aborted while connecting or while reading', async (t) => {
  const ok = await rawServer(t, (s) => s.once('data', () => s.end(answer('ok'))));
  const hanging = await rawServer(t, () => undefined);
  const dead = await releasedPort();
  const never = new AbortController().signal;
  t.match(await probeHttp(spec(ok.port), { signal: never }), { kind: 'result', result: { statusCode: 200, bodyBytes: 2 } });
  t.match(await probeHttp(spec(dead), { signal: never }), { kind: 'error', code: 'REFUSED' });
  t.match(await probeTcp({ type: 'TCP', host: '127.0.0.1', port: ok.port }, { signal: never }), { kind: 'result', result: { succeeded: true } });
  t.match(await probeTcp({ type: 'TCP', host: '127.0.0.1', port: dead }, { signal: never }), { kind: 'result', result: { succeeded: false, detail: 'connection refused' } });
  const reading = new AbortController();
  const pending = probeHttp(spec(hanging.port), { signal: reading.signal });
  await until(() => hanging.sockets.size === 1, 'the hanging server has the probe connection', 2000);
  t.equal(nativeActive(), 1, 'the hanging exchange holds one connection');
  reading.abort();
  t.match(await pending, { kind: 'error', code: 'ABORTED' });
  const connecting = new AbortController();
  const early = probeHttp(spec(hanging.port), { signal: connecting.signal });
  connecting.abort();
  t.match(await early, { kind: 'error', code: 'ABORTED' });
  t.equal(nativeActive(), 0, 'no connection is left in the addon');
});

t.test('fifty 200 KB bodies and one small one, answered at once, share the turns buffer and are each counted whole', async (t) => {
  const big = 'b'.repeat(200 * 1024);
  const { port } = await rawServer(t, (s) => s.once('data', (d) => s.end(answer(d.toString('latin1').startsWith('GET /small ') ? 's' : big))));
  const never = new AbortController().signal;
  const outcomes = await Promise.all([...Array.from({ length: 50 }, () => probeHttp(spec(port), { signal: never })), probeHttp(spec(port, '/small'), { signal: never })]);
  t.same(
    outcomes.map((o) => (o.kind === 'result' && o.result.type === 'HTTP' ? o.result.bodyBytes : o)),
    [...Array.from({ length: 50 }, () => big.length), 1],
  );
  t.equal(nativeActive(), 0);
});

/** Records what reaches a connection. */
function recorder(onData?: () => void): RawTcpListener & { bytes: number; ended: boolean; errors: RawTcpError[] } {
  return {
    bytes: 0,
    ended: false,
    errors: [],
    onConnect() {},
    onRead(_buf, start, end) {
      this.bytes += end - start;
      onData?.();
      return true;
    },
    onEnd() {
      this.ended = true;
    },
    onError(err) {
      this.errors.push(err);
    },
  };
}

t.test('a connection closed while a turn is read gives nothing of that turn to the connection opened in its place', async (t) => {
  // Two connections answered together are likely ready in the same turn; the first one's
  // listener closes the second and opens a third, which the addon must not give the
  // second's slot (and its record of this turn) until the turn is over.
  const peers: Socket[] = [];
  const { port } = await rawServer(t, (s) => {
    s.once('data', () => {
      peers.push(s);
      if (peers.length === 2) for (const p of peers) p.write(answer('x'.repeat(100)));
    });
  });
  const silent = await rawServer(t, () => undefined);
  const request = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1');
  let second: NativeConnection | null = null;
  let third: NativeConnection | null = null;
  const thirdListener = recorder();
  const secondListener = recorder();
  const firstListener = recorder(() => {
    if (third) return;
    second!.close();
    third = NativeConnection.open('127.0.0.1', silent.port, request, thirdListener);
  });
  const first = NativeConnection.open('127.0.0.1', port, request, firstListener);
  second = NativeConnection.open('127.0.0.1', port, request, secondListener);
  t.ok(first && second, 'both opened in the addon');
  await until(() => firstListener.bytes > 0, 'the first connection read its answer', 2000);
  // A turn later, anything misrouted would have arrived.
  await new Promise((r) => setImmediate(r));
  t.equal(thirdListener.bytes, 0, 'the third connection got no bytes of the second');
  t.notOk(thirdListener.ended, 'nor its end');
  t.equal(nativeActive(), 2, 'the first and the third are open, the second is gone');
  first!.close();
  (third as NativeConnection | null)?.close();
  t.equal(nativeActive(), 0);
});

t.test(`a full table (${NATIVE_CAPACITY} connections) sends the next probe to libuv's handles, which still answers it`, async (t) => {
  // A listener that never accepts: past its backlog the connects stay pending, held by the addon.
  const backlogged = createServer();
  backlogged.listen({ port: 0, host: '127.0.0.1', backlog: 1 });
  await once(backlogged, 'listening');
  t.teardown(() => backlogged.close());
  const hold = new AbortController();
  const target = { type: 'TCP' as const, host: '127.0.0.1' as const, port: (backlogged.address() as { port: number }).port };
  // A connect that completes into the backlog ends its probe at once and frees its slot.
  const held = [];
  for (let i = 0; nativeActive() < NATIVE_CAPACITY && i < NATIVE_CAPACITY + 100; i++) held.push(probeTcp(target, { signal: hold.signal }));
  t.equal(nativeActive(), NATIVE_CAPACITY, 'the table is full');
  const ok = await rawServer(t, (s) => s.once('data', () => s.end(answer('ok'))));
  t.match(await probeHttp(spec(ok.port), { signal: new AbortController().signal }), { kind: 'result', result: { statusCode: 200, bodyBytes: 2 } }, 'answered all the same');
  hold.abort();
  const ended = await Promise.all(held);
  t.ok(ended.every((o) => o.kind === 'error' ? o.code === 'ABORTED' : o.result.type === 'TCP'), 'the held probes end on the abort');
  t.equal(nativeActive(), 0, 'and give their connections back');
});
