import t from 'tap';
import fc from 'fast-check';
import { IndexedHeap, type HeapOrder } from '../../checks/heap.js';

interface Item {
  id: number;
  key: number;
  tie: number;
  index: number;
}

const order: HeapOrder<Item> = {
  key: (e) => e.key,
  tie: (e) => e.tie,
  setIndex: (e, i) => void (e.index = i),
  getIndex: (e) => e.index,
};

const byKeyThenTie = (a: Item, b: Item) => a.key - b.key || a.tie - b.tie;

type Op = { op: 'push'; key: number; tie: number } | { op: 'pop' } | { op: 'remove'; pick: number };

const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('push' as const), key: fc.integer({ min: 0, max: 20 }), tie: fc.integer({ min: 0, max: 1000 }) }),
    fc.record({ op: fc.constant('pop' as const) }),
    fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
  ),
  { maxLength: 300 },
);

t.test('pops in key order, ties by tie, after any mix of pushes, pops and removals anywhere (fixed seed)', async (t) => {
  fc.assert(
    fc.property(ops, (script: Op[]) => {
      const heap = new IndexedHeap(order);
      let model: Item[] = [];
      let id = 0;
      for (const step of script) {
        if (step.op === 'push') {
          // Unique ties, so that the expected order is a total one.
          const item = { id: id++, key: step.key, tie: step.tie * 1000 + id, index: -1 };
          heap.push(item);
          model.push(item);
        } else if (step.op === 'pop') {
          model.sort(byKeyThenTie);
          const expected = model.shift();
          const got = heap.pop();
          if (got !== expected) return false;
          if (got && got.index !== -1) return false;
        } else if (model.length > 0) {
          const victim = model[step.pick % model.length]!;
          heap.remove(victim);
          model = model.filter((e) => e !== victim);
          if (victim.index !== -1) return false;
        }
        model.sort(byKeyThenTie);
        if (heap.size !== model.length || heap.peek() !== model[0] || heap.peekKey() !== (model[0]?.key ?? Infinity)) return false;
      }
      // Every element still in knows where it is: removing each by its index empties the heap.
      for (const e of [...model].reverse()) heap.remove(e);
      return heap.size === 0 && heap.peekKey() === Infinity;
    }),
    { seed: 11, numRuns: 400 },
  );
  t.pass('400 scripts matched a sorted model');
});

t.test('grows past its first key arrays and removes twice harmlessly', async (t) => {
  const heap = new IndexedHeap(order);
  const items = Array.from({ length: 1000 }, (_, i) => ({ id: i, key: (i * 7919) % 1000, tie: i, index: -1 }));
  for (const e of items) heap.push(e);
  heap.remove(items[5]!);
  heap.remove(items[5]!);
  const keys: number[] = [];
  for (let e = heap.pop(); e; e = heap.pop()) keys.push(e.key);
  t.equal(keys.length, 999);
  t.same(keys, [...keys].sort((a, b) => a - b));
  t.notOk(keys.includes(items[5]!.key), 'the removed key is gone');
});
