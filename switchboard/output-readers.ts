// The ATTACH_CONTAINER_OUTPUT readers of every container, counted and bounded: how many
// per container and in total (429 beyond, as for sessions), and how many bytes may wait
// in their send queues altogether. Each reader already has its own queue bound
// (maxQueuedBytes); without a total, 500 readers × 4 MiB is 2 GiB. When the total is
// exceeded the reader with the most queued is cut off first, so one slow reader does not
// cost the fast ones their streams.
import { tooManyReaders } from './errors.js';

export interface OutputReaderLimits {
  maxOutputReaders: number;
  maxOutputReadersPerContainer: number;
  maxTotalQueuedBytes: number;
}

/** What the budget needs from a reader: a way to cut it off. */
export interface BudgetedReader {
  cutOff(reason: string): void;
}

/** One admitted reader's hold on the budget; released when its stream ends. */
export interface ReaderSlot {
  /**
   * The reader is about to have `queuedBytes` waiting. False when it was cut off to keep
   * the total within bounds (then it must not write).
   */
  reserve(queuedBytes: number): boolean;
  release(): void;
}

export class OutputReaders {
  readonly #limits: OutputReaderLimits;
  readonly #perContainer = new Map<string, number>();
  readonly #queued = new Map<BudgetedReader, number>();
  #readers = 0;
  #totalQueued = 0;

  constructor(limits: OutputReaderLimits) {
    this.#limits = limits;
  }

  get readers(): number {
    return this.#readers;
  }

  get totalQueuedBytes(): number {
    return this.#totalQueued;
  }

  /** Throws a 429 when a count limit is reached. */
  admit(containerText: string, reader: BudgetedReader): ReaderSlot {
    const { maxOutputReaders, maxOutputReadersPerContainer } = this.#limits;
    const here = this.#perContainer.get(containerText) ?? 0;
    if (this.#readers >= maxOutputReaders) throw tooManyReaders(`Too many output readers: the limit of ${maxOutputReaders} concurrent ATTACH_CONTAINER_OUTPUT streams is reached`);
    if (here >= maxOutputReadersPerContainer) throw tooManyReaders(`Too many output readers for container ${containerText}: the limit of ${maxOutputReadersPerContainer} is reached`);
    this.#perContainer.set(containerText, here + 1);
    this.#readers++;
    this.#queued.set(reader, 0);
    let released = false;
    return {
      reserve: (queuedBytes) => !released && this.#reserve(reader, queuedBytes),
      release: () => {
        if (released) return;
        released = true;
        this.#forget(reader);
        this.#readers--;
        const left = (this.#perContainer.get(containerText) ?? 1) - 1;
        if (left === 0) this.#perContainer.delete(containerText);
        else this.#perContainer.set(containerText, left);
      },
    };
  }

  #forget(reader: BudgetedReader): void {
    this.#totalQueued -= this.#queued.get(reader) ?? 0;
    this.#queued.delete(reader);
  }

  #reserve(reader: BudgetedReader, queuedBytes: number): boolean {
    if (!this.#queued.has(reader)) return false;
    this.#totalQueued += queuedBytes - this.#queued.get(reader)!;
    this.#queued.set(reader, queuedBytes);
    // Rare (each pass removes a reader), so a scan for the fullest is cheap enough.
    while (this.#totalQueued > this.#limits.maxTotalQueuedBytes) {
      let fullest: BudgetedReader | undefined;
      let most = -1;
      for (const [r, q] of this.#queued) {
        if (q > most) {
          most = q;
          fullest = r;
        }
      }
      this.#forget(fullest!);
      fullest!.cutOff(`all output readers together have more than ${this.#limits.maxTotalQueuedBytes} bytes queued; this one had the most (${most})`);
      if (fullest === reader) return false;
    }
    return true;
  }
}
