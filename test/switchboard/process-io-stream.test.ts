// The session stream and leased chunks (reused read buffers): a chunk is held until the
// socket wrote it, however long a slow client makes that, and let go of when the stream
// is cut off; what arrives is what was sent.
import t, { type Test } from 'tap';
import http from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { ManualClock } from '../../common/clock.js';
import { createLogger } from '../../common/logger.js';
import { ProcessIOStream } from '../../switchboard/process-io-stream.js';
import { ProcessIOReader } from '../../switchboard/process-io-reader.js';
import { until } from '../helpers/wait.js';

const PB = 'application/x-protobuf' as const;
const types = { content: 'application/json', accept: 'application/recordio', messageAccept: PB } as never;

/** A server whose one response is a ProcessIOStream; a raw client that starts paused. */
async function setup(t: Test, options: { maxQueuedBytes?: number; flowControl?: boolean } = {}) {
  let resolveStream!: (s: ProcessIOStream) => void;
  const streamReady = new Promise<ProcessIOStream>((r) => (resolveStream = r));
  const server = http.createServer((_req, res) => {
    resolveStream(new ProcessIOStream(res, types, {
      clock: new ManualClock(), heartbeatIntervalMs: 30_000, maxQueuedBytes: options.maxQueuedBytes ?? 64 * 1024 * 1024,
      logger: createLogger({ name: 'test', level: 'silent' }),
      ...(options.flowControl ? { flowControl: { pause: () => {}, resume: () => {} } } : {}),
    }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
  const stream = await streamReady;
  socket.pause();
  return { stream, socket };
}

function leaseCounter() {
  const lease = { holds: 0, retain: () => {
    lease.holds++;
    let done = false;
    return () => {
      if (!done) lease.holds--;
      done = true;
    };
  } };
  return lease;
}

t.test('leased chunks are held until the socket wrote them (a client that does not read), and arrive intact', async (t) => {
  const { stream, socket } = await setup(t, { flowControl: true });
  const lease = leaseCounter();
  // 8 MiB: far more than the loopback socket buffers take while the client does not read.
  const chunk = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = i % 251;
  stream.sendData('STDOUT', chunk, lease);
  await new Promise((r) => setImmediate(r));
  t.ok(lease.holds > 0, `records still queued: ${lease.holds} hold(s) on the buffer`);
  // Reading the body: the chunked framing by hand (sizes are hex lines), then the records.
  const reader = new ProcessIOReader(PB, 64 * 1024 * 1024);
  const got: Buffer[] = [];
  let raw = Buffer.alloc(0);
  socket.on('data', (b: Buffer) => (raw = Buffer.concat([raw, b])));
  socket.resume();
  await until(() => lease.holds === 0, 'every hold released once the client read');
  stream.end();
  await until(() => raw.includes('\r\n0\r\n\r\n'), 'the last chunk');
  let at = raw.indexOf('\r\n\r\n') + 4;
  for (;;) {
    const lf = raw.indexOf('\r\n', at);
    const size = parseInt(raw.toString('latin1', at, lf), 16);
    if (size === 0) break;
    for (const io of reader.push(raw.subarray(lf + 2, lf + 2 + size))) got.push(io.data!.data!);
    at = lf + 2 + size + 2;
  }
  t.ok(Buffer.concat(got).equals(chunk), 'the 8 MiB arrived as sent');
});

t.test('a reader cut off for its queue lets go of every chunk at once', async (t) => {
  const { stream } = await setup(t, { maxQueuedBytes: 1024 * 1024 });
  const lease = leaseCounter();
  for (let i = 0; i < 64 && !stream.ended; i++) stream.sendData('STDOUT', Buffer.alloc(64 * 1024, i), lease);
  t.ok(stream.ended, 'cut off: 4 MiB would be queued, more than its 1 MiB');
  await until(() => lease.holds === 0, 'holds released after the cut-off');
  t.equal(lease.holds, 0);
});
