// The bounded ring of recent output behind "attach --tail": what it keeps, what it drops,
// and the settings it is sized from.
import t from 'tap';
import { DEFAULT_OUTPUT_TAIL_BYTES, MAX_OUTPUT_TAIL_BYTES, OUTPUT_TAIL_ENV, OutputRing, outputTailBytesFromEnv } from '../../process/output-ring.js';

const text = (chunks: Array<{ stream: string; chunk: Buffer }>) => chunks.map((c) => `${c.stream}:${c.chunk.toString()}`).join('|');

t.test('keeps the last bytes in order, per stream, never more than its capacity', async (t) => {
  const ring = new OutputRing<'STDOUT' | 'STDERR'>(10);
  ring.push(Buffer.from('hello '), 'STDOUT');
  ring.push(Buffer.from('err'), 'STDERR');
  t.equal(text(ring.tail(100)), 'STDOUT:hello |STDERR:err', 'under capacity: everything, in the order printed');
  ring.push(Buffer.from('$ prompt'), 'STDOUT');
  t.equal(ring.size, 10, 'the oldest bytes went first');
  t.equal(text(ring.tail(100)), 'STDERR:rr|STDOUT:$ prompt', 'a tail larger than what is kept gives what is kept');
  t.equal(text(ring.tail(3)), 'STDOUT:mpt', 'a smaller tail: its last bytes');
  t.equal(text(ring.tail(0)), '', 'tail 0: nothing');
});

t.test('a chunk larger than the ring keeps a copy of its end only; smaller chunks are kept as they are (no copy per chunk)', async (t) => {
  const ring = new OutputRing(4);
  const big = Buffer.from('0123456789');
  ring.push(big);
  big.fill(0x78);
  t.equal(text(ring.tail(10)), 'STDOUT:6789', 'the end was copied: the big buffer is not pinned');
  const small = Buffer.from('ab');
  ring.push(small);
  t.equal(ring.tail(2)[0]!.chunk.buffer, small.buffer, 'a small chunk is the read\'s own buffer');
});

t.test('many small chunks: the size stays bounded and the content is the last bytes', async (t) => {
  const ring = new OutputRing(1000);
  let all = '';
  for (let i = 0; i < 5000; i++) {
    const s = `${i},`;
    all += s;
    ring.push(Buffer.from(s));
    if (ring.size > 1000) t.fail(`size ${ring.size} over the capacity after ${i} chunks`);
  }
  t.equal(ring.tail(1000).map((c) => c.chunk.toString()).join(''), all.slice(-1000));
});

t.test('capacity 0 keeps nothing; a bad capacity is a RangeError', async (t) => {
  const ring = new OutputRing(0);
  ring.push(Buffer.from('x'));
  t.equal(ring.size, 0);
  t.throws(() => new OutputRing(-1), RangeError);
});

t.test(`${OUTPUT_TAIL_ENV}: default, 0, the maximum, and bad values name the variable`, async (t) => {
  t.equal(outputTailBytesFromEnv({}), DEFAULT_OUTPUT_TAIL_BYTES);
  t.equal(outputTailBytesFromEnv({ [OUTPUT_TAIL_ENV]: '0' }), 0);
  t.equal(outputTailBytesFromEnv({ [OUTPUT_TAIL_ENV]: String(MAX_OUTPUT_TAIL_BYTES) }), MAX_OUTPUT_TAIL_BYTES);
  for (const bad of ['-1', '64KiB', String(MAX_OUTPUT_TAIL_BYTES + 1), '1.5']) {
    t.throws(() => outputTailBytesFromEnv({ [OUTPUT_TAIL_ENV]: bad }), { message: new RegExp(`^${OUTPUT_TAIL_ENV}: .*got '${bad.replace('.', '\\.')}'`) }, bad);
  }
});

t.test('a leased chunk (a reused read buffer) is held while kept, let go of once dropped, and copied for a tail', async (t) => {
  let holds = 0;
  const lease = { retain: () => (holds++, () => holds--) };
  const ring = new OutputRing(4);
  const reused = Buffer.from('abcdefgh');
  ring.push(reused.subarray(0, 3), 'STDOUT', lease);
  t.equal(holds, 1, 'kept: held');
  const tail = ring.tail(3);
  reused.fill(0x2d);
  t.equal(text(tail), 'STDOUT:abc', 'the tail is a copy: the buffer being read into again does not change it');
  ring.push(Buffer.from('wxyz'), 'STDOUT');
  t.equal(holds, 0, 'dropped: let go of');
  ring.push(Buffer.from('0123456789'), 'STDOUT', lease);
  t.equal(holds, 1, 'a leased chunk larger than the ring keeps its end by reference (held, not copied)');
  t.equal(text(ring.tail(10)), 'STDOUT:6789');
});
