import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CheckHistory, describeHealthKill, sameOutcome } from '../../checks/results.js';
import type { ProbeOutcome } from '../../checks/outcome.js';
import { exit, http, refused } from './helpers.js';

const run = (at: number) => ({ endedAt: at, latencyMs: 2, lateMs: 0 });

t.test('history keeps the last N runs with status, exit code, output and error code', async (t) => {
  const h = new CheckHistory(3);
  h.add(http(200), run(1));
  h.add(refused, run(2));
  h.add(exit(2, 'boom\n'), run(3));
  h.add({ kind: 'error', code: 'TIMEOUT', message: 'timed out after 1s', outputTail: 'partial' }, run(4));
  t.equal(h.total, 4);
  t.same(h.recent().map((r) => r.at), [2, 3, 4], 'bounded: the oldest run is gone');
  t.same(h.recent()[0], { at: 2, latencyMs: 2, lateMs: 0, kind: 'error', cause: 'connection refused', errorCode: 'REFUSED' });
  t.same(h.recent()[1], { at: 3, latencyMs: 2, lateMs: 0, kind: 'result', cause: 'exit 2', exitCode: 2, outputTail: 'boom\n' });
  t.equal(h.last()?.errorCode, 'TIMEOUT');
});

t.test('kill message: which check, how many failures, their causes, the last output (bounded)', async (t) => {
  const h = new CheckHistory(10);
  h.add(exit(0), run(1));
  h.add(exit(1, 'first\n'), run(2));
  h.add(exit(2, `${'x'.repeat(600)}last words\n`), run(3));
  const msg = describeHealthKill('COMMAND health check', 2, 2, h);
  t.match(msg, /^COMMAND health check failed 2 of 2: exit 1, exit 2 \(last output: \.\.\.x+last words\)$/);
  t.ok(msg.length < 600, `bounded (${msg.length} chars)`);
  const zero = new CheckHistory(10);
  zero.add(http(503), run(1));
  t.equal(describeHealthKill('HTTP health check', 1, 0, zero), 'HTTP health check failed 1 (threshold 0): status 503');
});

t.test('history ring: oldest first across many wraps, equal outcomes kept as one object, limit 0 keeps none', async (t) => {
  const h = new CheckHistory(4);
  for (let i = 1; i <= 23; i++) h.add(i % 5 === 0 ? refused : http(200 + (i % 2)), run(i));
  t.equal(h.total, 23);
  t.same(h.recent().map((r) => [r.at, r.cause]), [[20, 'connection refused'], [21, 'status 201'], [22, 'status 200'], [23, 'status 201']]);
  t.same(h.last(), { at: 23, latencyMs: 2, lateMs: 0, kind: 'result', cause: 'status 201', statusCode: 201 });
  const steady = new CheckHistory(10);
  for (let i = 1; i <= 12; i++) steady.add(http(200), { endedAt: i, latencyMs: i / 10, lateMs: i / 100 });
  t.same(steady.recent().map((r) => [r.at, r.latencyMs, r.lateMs]), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((i) => [i, i / 10, i / 100]), 'each run keeps its own times although the outcome object is shared');
  const none = new CheckHistory(0);
  none.add(http(200), run(1));
  t.equal(none.total, 1);
  t.same(none.recent(), []);
  t.equal(none.last(), undefined);
  t.throws(() => new CheckHistory(-1), { name: 'RangeError', message: 'history limit must be an integer >= 0, got -1' });
});

t.test('sameOutcome: equal only when every field a record or a message shows is equal', async (t) => {
  const rows: Array<[ProbeOutcome, ProbeOutcome, boolean]> = [
    [http(200), http(200), true],
    [http(200), http(503), false],
    [http(200), { kind: 'result', result: { type: 'HTTP', statusCode: 200, redirects: 1, bodyBytes: 0 } }, false],
    [exit(1, 'a'), exit(1, 'a'), true],
    [exit(1, 'a'), exit(1, 'b'), false],
    [refused, refused, true],
    [refused, { kind: 'error', code: 'REFUSED', message: 'other' }, false],
    [refused, http(200), false],
    [{ kind: 'result', result: { type: 'TCP', succeeded: true } }, { kind: 'result', result: { type: 'TCP', succeeded: true } }, true],
    [{ kind: 'result', result: { type: 'TCP', succeeded: false, detail: 'x' } }, { kind: 'result', result: { type: 'TCP', succeeded: false } }, false],
  ];
  for (const [a, b, same] of rows) t.equal(sameOutcome(a, b), same, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
});

t.test('history does not keep a readiness response body (up to 4 KiB each): the outcome carrying it is collectable', async (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const h = new CheckHistory(10);
  const refs: Array<WeakRef<object>> = [];
  (() => {
    for (let i = 1; i <= 3; i++) {
      const withBody: ProbeOutcome = { kind: 'result', result: { type: 'HTTP', statusCode: 503, redirects: 0, bodyBytes: 4096, contentType: 'text/plain', body: `${i}`.repeat(4096) } };
      refs.push(new WeakRef(withBody));
      h.add(withBody, run(i));
    }
  })();
  await new Promise<void>((r) => setImmediate(r)); // WeakRefs hold their target until the turn ends
  gc();
  t.same(refs.map((r) => r.deref()), [undefined, undefined, undefined], 'no outcome with a body kept');
  t.same(h.last(), { at: 3, latencyMs: 2, lateMs: 0, kind: 'result', cause: 'status 503', statusCode: 503 }, 'the record is what it was');
});
