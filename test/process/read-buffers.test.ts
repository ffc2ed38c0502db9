// The reused read buffers behind exec's output: a slab is read into again only once every
// holder of a chunk in it let go, including holders that took the chunk in the very call
// that exhausted the slab; unreleased slabs are never handed out again.
import t from 'tap';
import fc from 'fast-check';
import { ReadBuffers } from '../../process/read-buffers.js';

/** One read of `bytes` (filled with `fill`), as the pipe reader does it. */
function read(b: ReadBuffers, bytes: number, fill: number) {
  const n = Math.min(bytes, b.target.length);
  b.target.fill(fill, 0, n);
  const got = b.commit(n);
  return { ...got, n };
}

t.test('a chunk retained in its own call survives the slab being exhausted by that very read', async (t) => {
  const b = new ReadBuffers({ slabBytes: 100, minReadBytes: 40, maxFreeSlabs: 4 });
  const first = read(b, 70, 0x61); // 30 left < 40: the slab is done with after this call
  const release = first.lease.retain();
  b.advance();
  // Before the fix the reader let go of the slab inside commit(), so it was free (and the
  // next slab handed out) while this chunk's holder retained it.
  for (let i = 0; i < 6; i++) {
    read(b, 100, 0x7a);
    b.advance();
  }
  t.equal(first.chunk.toString(), 'a'.repeat(70), 'the held chunk kept its bytes');
  release();
  t.equal(b.allocated, 3, 'the held slab, then two that take turns');
});

t.test('reads go into the rest of a slab until too little is left; a released slab is read into again', async (t) => {
  const b = new ReadBuffers({ slabBytes: 100, minReadBytes: 40 });
  const a = read(b, 30, 1);
  b.advance();
  const c = read(b, 30, 2);
  t.equal(c.chunk.buffer, a.chunk.buffer, 'the second read went behind the first, in the same slab');
  t.equal(c.chunk.byteOffset - a.chunk.byteOffset, 30);
  b.advance(); // 40 left: still enough
  read(b, 40, 3);
  b.advance(); // nothing left: the slab goes back (nobody held it)
  const d = read(b, 10, 4);
  t.equal(b.allocated, 2, 'a second slab while the first was being let go');
  b.advance();
  t.ok(d.chunk.length === 10);
});

t.test('a slab whose chunk is never released is never read into again (left to the garbage collector)', async (t) => {
  const b = new ReadBuffers({ slabBytes: 64, minReadBytes: 64 });
  const kept = read(b, 64, 0x41);
  kept.lease.retain(); // never released
  b.advance();
  for (let i = 0; i < 10; i++) {
    read(b, 64, 0x42);
    b.advance();
  }
  t.equal(kept.chunk.toString(), 'A'.repeat(64));
});

t.test('property: whatever holders retain and release in any order, no held chunk ever changes', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ bytes: fc.integer({ min: 1, max: 300 }), hold: fc.boolean(), releaseSome: fc.nat(4) }), { minLength: 1, maxLength: 80 }),
      fc.integer({ min: 64, max: 512 }),
      (steps, slabBytes) => {
        const b = new ReadBuffers({ slabBytes, minReadBytes: 32, maxFreeSlabs: 2 });
        const held: { chunk: Buffer; copy: Buffer; release: () => void }[] = [];
        let fill = 0;
        for (const s of steps) {
          const r = read(b, s.bytes, fill++ & 0xff);
          if (s.hold) held.push({ chunk: r.chunk, copy: Buffer.from(r.chunk), release: r.lease.retain() });
          b.advance();
          for (let i = 0; i < s.releaseSome && held.length > 0; i++) {
            const h = held.splice((fill * 7) % held.length, 1)[0]!;
            if (!h.chunk.equals(h.copy)) return false;
            h.release();
          }
        }
        return held.every((h) => h.chunk.equals(h.copy));
      },
    ),
    { seed: 11, numRuns: 100 },
  );
  t.pass('no held chunk was overwritten');
});
