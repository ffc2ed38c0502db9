// An indexed binary min-heap: each element remembers its position, so that removing any
// element (a paused check, a probe that ended before its deadline) is O(log n) too.
//
// The keys live in typed arrays beside the elements, read once on push: with 1,000 checks
// the sift loops compared through the elements themselves (a load from a different object
// per comparison, most of them cache misses between batches) and that comparison was the
// scheduler's largest cost per probe (bench/checks, perf).
export interface HeapOrder<T> {
  /** Smaller first. Read when the element is pushed; it must not change while in the heap. */
  key(e: T): number;
  /** Breaks ties between equal keys, smaller first; read with the key. */
  tie(e: T): number;
  /** Stores `i` on the element (-1: not in the heap). */
  setIndex(e: T, i: number): void;
  getIndex(e: T): number;
}

export class IndexedHeap<T> {
  readonly #items: T[] = [];
  #keys = new Float64Array(64);
  #ties = new Float64Array(64);

  constructor(readonly order: HeapOrder<T>) {}

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  /** The smallest key, Infinity when empty: what the scheduler compares with the clock. */
  peekKey(): number {
    return this.#items.length > 0 ? this.#keys[0]! : Infinity;
  }

  push(e: T): void {
    const i = this.#items.length;
    if (i === this.#keys.length) this.#grow();
    this.#items.push(e);
    this.#up(i, e, this.order.key(e), this.order.tie(e));
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(e: T): void {
    const i = this.order.getIndex(e);
    if (i < 0) return;
    this.order.setIndex(e, -1);
    const items = this.#items;
    const last = items.length - 1;
    const moved = items.pop()!;
    if (i === last) return;
    // The last element fills the hole, then goes whichever way its key says.
    const k = this.#keys[last]!;
    const t = this.#ties[last]!;
    const p = (i - 1) >> 1;
    if (i > 0 && this.#before(k, t, p)) this.#up(i, moved, k, t);
    else this.#down(i, moved, k, t);
  }

  #grow(): void {
    const keys = new Float64Array(this.#keys.length * 2);
    keys.set(this.#keys);
    this.#keys = keys;
    const ties = new Float64Array(this.#ties.length * 2);
    ties.set(this.#ties);
    this.#ties = ties;
  }

  /** Whether (k, t) comes before slot j. */
  #before(k: number, t: number, j: number): boolean {
    const kj = this.#keys[j]!;
    return k < kj || (k === kj && t < this.#ties[j]!);
  }

  #place(i: number, e: T, k: number, t: number): void {
    this.#items[i] = e;
    this.#keys[i] = k;
    this.#ties[i] = t;
    this.order.setIndex(e, i);
  }

  /** Moves the hole at i up until (k, t) fits, then puts e there. */
  #up(i: number, e: T, k: number, t: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#before(k, t, p)) break;
      this.#place(i, this.#items[p]!, this.#keys[p]!, this.#ties[p]!);
      i = p;
    }
    this.#place(i, e, k, t);
  }

  #down(i: number, e: T, k: number, t: number): void {
    const n = this.#items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.#before(this.#keys[r]!, this.#ties[r]!, l) ? r : l;
      const kc = this.#keys[c]!;
      if (!(kc < k || (kc === k && this.#ties[c]! < t))) break;
      this.#place(i, this.#items[c]!, kc, this.#ties[c]!);
      i = c;
    }
    this.#place(i, e, k, t);
  }
}
