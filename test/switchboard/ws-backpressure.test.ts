// A client that stops reading: the exec session's output is paused while the gateway
// socket's send buffer is above its bound (1 MiB), so the switchboard's memory stays
// bounded and nothing is lost once the client reads again. An attached reader of a task
// that falls behind is cut off instead (the task never waits for a reader).
import t from 'tap';
import { WS_ATTACH_PREFIX, WS_EXEC_PREFIX } from '../../contracts/ws-gateway.js';
import { MAX_BUFFERED_BYTES } from '../../switchboard/ws/exec.js';
import { SLAB_BYTES } from '../../process/read-buffers.js';
import { openOk } from '../helpers/ws-gateway.js';
import { startFixture, TOKEN, until } from './harness.js';

const MiB = 1024 * 1024;
// Far past what the kernel's socket buffers hold (a few MiB on loopback) plus the bound.
const TOTAL = 32 * MiB;
// The chunk that crosses the bound is sent before the pause, and a pipe read is up to a
// slab (process/read-buffers.ts; a PTY read is less): one such chunk past it, and one more
// of margin, as before the reads grew from 64 KiB to a slab.
const BOUND = MAX_BUFFERED_BYTES + 2 * SLAB_BYTES;

/** Samples `measure` every 10 ms for `ms`; the largest value seen. */
async function peakOver(ms: number, measure: () => number): Promise<number> {
  let peak = measure();
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 10));
    peak = Math.max(peak, measure());
  }
  return peak;
}

for (const tty of [false, true]) {
  t.test(`a client that stops reading (${tty ? 'tty' : 'pipes'}, head -c 32M /dev/zero)`, async (t) => {
    const fx = await startFixture(t);
    fx.task('web', 'sleep 1000');
    // -opost: the terminal passes the bytes as they are, so the count is exact.
    const command = `${tty ? 'stty -opost; ' : ''}head -c ${TOTAL} /dev/zero`;
    const s = await openOk(fx.url, `${WS_EXEC_PREFIX}web?command=${encodeURIComponent(command)}${tty ? '&tty=1' : ''}`, { token: TOKEN });
    await s.message('started');
    // The reader stops: its socket is no longer read, the kernel buffers fill.
    s.ws.pause();
    const rssBefore = process.memoryUsage().rss;
    await until(() => fx.logs.some((l) => l.msg === 'gateway socket send buffer full; output paused'), 'the session output paused');
    // Watched for a second: the session stays paused, the queue stays at its bound.
    const peakQueued = await peakOver(1000, () => fx.gateway.bufferedBytes);
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    t.ok(peakQueued <= BOUND, `the gateway queued at most ${peakQueued} bytes (bound ${BOUND}) of a ${TOTAL}-byte stream`);
    t.ok(s.outputBytes < TOTAL / 4, `the client had read ${s.outputBytes} bytes when it stopped`);
    t.ok(rssGrowth < 16 * MiB, `RSS grew by ${Math.round(rssGrowth / MiB)} MiB while the client did not read (stream ${TOTAL / MiB} MiB)`);
    s.ws.resume();
    const exit = await s.message('exit', 60_000);
    t.equal(exit.exit_code, 0);
    // Exact for pipes; a terminal's last bytes at the exit are the PTY drain's (process/).
    if (!tty) t.equal(s.outputBytes, TOTAL, 'every byte arrived once the client read again');
    else t.ok(s.outputBytes > TOTAL / 2, `the session went on once the client read again (${s.outputBytes} bytes)`);
    t.equal((await s.closed).code, 1000);
  });
}

t.test('an attached reader that falls behind a flooding task is cut off (1008); the task goes on', async (t) => {
  const fx = await startFixture(t, { limits: { maxQueuedBytes: 256 * 1024 } });
  const task = fx.task('flood', 'read go; head -c 4000000 /dev/zero | base64; echo done-flooding; read again', { tty: true });
  const slow = await openOk(fx.url, `${WS_ATTACH_PREFIX}flood`, { token: TOKEN });
  await slow.message('started');
  slow.type('go\r');
  await slow.waitForOutput('go\r\n');
  slow.ws.pause();
  await until(() => Buffer.concat(task.output).toString('latin1').includes('done-flooding'), 'the task flooded to its end');
  slow.ws.resume();
  const closed = await slow.closed;
  t.equal(closed.code, 1008, 'cut off with 1008');
  t.match(closed.reason, /the reader fell behind: \d+ bytes queued, past the limit of 262144/);
  t.ok(slow.messages.some((m) => m.type === 'error'), 'an error message before the close');
  t.notOk(task.terminated, 'the task did not wait for the reader and still runs');
});
