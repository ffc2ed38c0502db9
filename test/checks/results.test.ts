import t from 'tap';
import { CheckHistory, describeHealthKill, recordOf } from '../../checks/results.js';
import { exit, http, refused } from './helpers.js';

const run = (at: number) => ({ endedAt: at, latencyMs: 2, lateMs: 0 });

t.test('history keeps the last N runs with status, exit code, output and error code', async (t) => {
  const h = new CheckHistory(3);
  h.add(recordOf(http(200), run(1)));
  h.add(recordOf(refused, run(2)));
  h.add(recordOf(exit(2, 'boom\n'), run(3)));
  h.add(recordOf({ kind: 'error', code: 'TIMEOUT', message: 'timed out after 1s', outputTail: 'partial' }, run(4)));
  t.equal(h.total, 4);
  t.same(h.recent().map((r) => r.at), [2, 3, 4], 'bounded: the oldest run is gone');
  t.same(h.recent()[0], { at: 2, latencyMs: 2, lateMs: 0, kind: 'error', cause: 'connection refused', errorCode: 'REFUSED' });
  t.same(h.recent()[1], { at: 3, latencyMs: 2, lateMs: 0, kind: 'result', cause: 'exit 2', exitCode: 2, outputTail: 'boom\n' });
  t.equal(h.last()?.errorCode, 'TIMEOUT');
});

t.test('kill message: which check, how many failures, their causes, the last output (bounded)', async (t) => {
  const h = new CheckHistory(10);
  h.add(recordOf(exit(0), run(1)));
  h.add(recordOf(exit(1, 'first\n'), run(2)));
  h.add(recordOf(exit(2, `${'x'.repeat(600)}last words\n`), run(3)));
  const msg = describeHealthKill('COMMAND health check', 2, 2, h);
  t.match(msg, /^COMMAND health check failed 2 of 2: exit 1, exit 2 \(last output: \.\.\.x+last words\)$/);
  t.ok(msg.length < 600, `bounded (${msg.length} chars)`);
  const zero = new CheckHistory(10);
  zero.add(recordOf(http(503), run(1)));
  t.equal(describeHealthKill('HTTP health check', 1, 0, zero), 'HTTP health check failed 1 (threshold 0): status 503');
});
