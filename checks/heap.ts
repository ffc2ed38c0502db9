// An indexed binary min-heap: each element remembers its position, so that removing any
// element (a paused check, a probe that ended before its deadline) is O(log n) too.
export interface HeapOrder<T> {
  less(a: T, b: T): boolean;
  /** Stores `i` on the element (-1: not in the heap). */
  setIndex(e: T, i: number): void;
  getIndex(e: T): number;
}

export class IndexedHeap<T> {
  readonly #items: T[] = [];
  constructor(readonly order: HeapOrder<T>) {}

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(e: T): void {
    const i = this.#items.length;
    this.#items.push(e);
    this.order.setIndex(e, i);
    this.#up(i);
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(e: T): void {
    const i = this.order.getIndex(e);
    if (i < 0) return;
    const last = this.#items.length - 1;
    if (i !== last) this.#swap(i, last);
    this.#items.pop();
    this.order.setIndex(e, -1);
    if (i < this.#items.length) {
      this.#up(i);
      this.#down(i);
    }
  }

  #swap(i: number, j: number): void {
    const h = this.#items;
    const a = h[i]!;
    const b = h[j]!;
    h[i] = b;
    h[j] = a;
    this.order.setIndex(b, i);
    this.order.setIndex(a, j);
  }

  #up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.order.less(this.#items[i]!, this.#items[p]!)) break;
      this.#swap(i, p);
      i = p;
    }
  }

  #down(i: number): void {
    const h = this.#items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.order.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.order.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }
}
