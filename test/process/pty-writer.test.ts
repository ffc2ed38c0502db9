// PtyWriter as a step test on the injected clock: a fake write(2) says how much the
// terminal takes (EAGAIN when full), and the clock shows when the writer comes back.
import t from 'tap';
import { ManualClock } from '../../common/clock.js';
import { PtyWriter } from '../../process/pty-writer.js';

const errno = (code: string) => Object.assign(new Error(`write ${code}`), { code });

/** A fake terminal: each call takes the next answer (bytes accepted, or an errno to throw). */
function fakeTerminal(answers: (number | string)[]) {
  const taken: Buffer[] = [];
  let calls = 0;
  const writeSome = (data: Buffer): number => {
    calls++;
    const a = answers.length > 0 ? answers.shift()! : data.length;
    if (typeof a === 'string') throw errno(a);
    const n = Math.min(a, data.length);
    taken.push(Buffer.from(data.subarray(0, n)));
    return n;
  };
  return { writeSome, taken, calls: () => calls };
}

const settled = <T>(p: Promise<T>) => {
  const state = { done: false, error: undefined as unknown };
  p.then(
    () => (state.done = true),
    (e) => (state.error = e),
  );
  return state;
};
const turn = () => new Promise((r) => setImmediate(r));

t.test('a full terminal is retried after a doubling, capped back-off: one timer at a time, no spin', async (t) => {
  const clock = new ManualClock();
  const term = fakeTerminal(['EAGAIN', 'EAGAIN', 'EAGAIN', 'EAGAIN', 'EAGAIN', 'EAGAIN', 'EAGAIN', 'EAGAIN']);
  const w = new PtyWriter(-1, { clock, minRetryMs: 1, maxRetryMs: 8, writeSome: term.writeSome });
  const p = settled(w.write(Buffer.from('hello')));
  t.equal(term.calls(), 1, 'first attempt on the caller turn');
  // Delays 1, 2, 4, 8, 8, 8, 8, 8: each step fires exactly one attempt.
  for (const [i, delay] of [1, 2, 4, 8, 8, 8, 8, 8].entries()) {
    t.equal(clock.pending, 1, `one retry timer pending (step ${i})`);
    clock.advance(delay - 1);
    t.equal(term.calls(), i + 1, `nothing before ${delay} ms`);
    clock.advance(1);
    t.equal(term.calls(), i + 2, `retried after ${delay} ms`);
  }
  await turn();
  t.ok(p.done, 'written once the terminal took it');
  t.equal(Buffer.concat(term.taken).toString(), 'hello');
  t.equal(clock.pending, 0, 'no timer left once the queue is empty');
});

t.test('partial writes keep order across queued writes and reset the back-off', async (t) => {
  const clock = new ManualClock();
  const term = fakeTerminal([2, 'EAGAIN', 'EAGAIN', 3]);
  const w = new PtyWriter(-1, { clock, minRetryMs: 1, maxRetryMs: 50, writeSome: term.writeSome });
  const a = settled(w.write(Buffer.from('abcdef')));
  const b = settled(w.write(Buffer.from('gh')));
  t.equal(w.queuedBytes, 6, 'the rest of the first write and the second wait');
  clock.advance(1); // EAGAIN after a partial write: come back after the minimum
  clock.advance(2); // no progress: doubled
  t.equal(term.calls(), 3);
  clock.advance(4); // takes 3 bytes: partial again
  t.notOk(a.done, 'first write not complete yet');
  clock.advance(1); // progress resets the back-off: the rest ("f", "gh") after 1 ms
  await turn();
  t.ok(a.done && b.done);
  t.equal(Buffer.concat(term.taken).toString(), 'abcdefgh', 'bytes in order');
});

t.test('close() while waiting: pending and later input is dropped and resolves (not an error)', async (t) => {
  const clock = new ManualClock();
  const term = fakeTerminal(['EAGAIN']);
  const w = new PtyWriter(-1, { clock, writeSome: term.writeSome });
  const p = settled(w.write(Buffer.from('stuck')));
  w.close();
  await turn();
  t.ok(p.done, 'pending write resolves');
  t.equal(clock.pending, 0, 'retry timer cancelled');
  await t.resolves(w.write(Buffer.from('\x04')), 'EOT after the end is accepted');
  t.equal(w.droppedBytes, 6);
});

t.test('EIO (no slave side left) counts as closed; other errors reject this and later writes', async (t) => {
  const clock = new ManualClock();
  const eio = new PtyWriter(-1, { clock, writeSome: fakeTerminal(['EIO']).writeSome });
  await t.resolves(eio.write(Buffer.from('x')), 'EIO: dropped, resolves');
  const ebadf = new PtyWriter(-1, { clock, writeSome: fakeTerminal(['EBADF']).writeSome });
  await t.rejects(ebadf.write(Buffer.from('x')), { code: 'EBADF' }, 'a real failure is reported');
  await t.rejects(ebadf.write(Buffer.from('y')), { code: 'EBADF' }, 'and stays reported');
});
