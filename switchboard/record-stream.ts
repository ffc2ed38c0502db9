// Decoded items from a Node readable (an HTTP body), as an async generator with
// backpressure. Unlike `for await` over the stream, which makes Node concatenate (copy)
// whatever is buffered on every read, this takes each socket chunk as delivered and
// pauses the socket while the bytes not yet consumed exceed a bound.
import type { Readable } from 'node:stream';
import { RecordIODecoder } from '../proto/recordio.js';

export interface StreamDecoder<T> {
  /** Items completed by these bytes; throws once the stream is broken. */
  push(chunk: Buffer): T[];
  /** At the end of the source; throws when it ended inside an item. */
  finish(): void;
  /** Set once the stream is broken; items completed before the break are still delivered. */
  readonly error?: unknown;
}

export interface ItemStreamOptions {
  /** Pause the source while this many bytes of items wait for the consumer. */
  highWaterBytes?: number;
  /** Called at the end of the source; may throw (e.g. an HTTP body that was cut off). */
  onEnd?: () => void;
}

export interface ItemQueueOptions<T> {
  /** Bytes an item counts for against the bound. */
  sizeOf: (item: T) => number;
  /** Pause the source while this many bytes of items wait for the consumer. */
  highWaterBytes?: number;
  /** Called once the consumer is done with an item: it came back for the next, or stopped. */
  done?: (item: T) => void;
}

/**
 * Items on their way from a source that pushes to a consumer that pulls: the source is
 * paused while more than the bound waits and resumed at half of it.
 */
export class ItemQueue<T> {
  readonly #source: { pause(): void; resume(): void };
  readonly #options: ItemQueueOptions<T>;
  readonly #highWater: number;
  #queue: T[] = [];
  #head = 0;
  #queued = 0;
  #paused = false;
  #ended = false;
  #failure: unknown;
  #wake: (() => void) | undefined;

  constructor(source: { pause(): void; resume(): void }, options: ItemQueueOptions<T>) {
    this.#source = source;
    this.#options = options;
    this.#highWater = options.highWaterBytes ?? 1024 * 1024;
  }

  /** Items the source produced; pauses it when they are too many. */
  add(items: readonly T[]): void {
    for (const item of items) {
      this.#queue.push(item);
      this.#queued += this.#options.sizeOf(item);
    }
    if (this.#queued > this.#highWater && !this.#paused) {
      this.#paused = true;
      this.#source.pause();
    }
    this.#notify();
  }

  /** The source broke: items queued before still reach the consumer, then `err`. */
  fail(err: unknown): void {
    this.#failure ??= err;
    this.#ended = true;
    this.#notify();
  }

  end(): void {
    this.#ended = true;
    this.#notify();
  }

  async *items(): AsyncGenerator<T> {
    // The item the consumer holds, until it comes back (no wrapper per item: this runs per record).
    let holding = false;
    let taken: T | undefined;
    try {
      for (;;) {
        if (holding) this.#options.done?.(taken!);
        holding = false;
        if (this.#head < this.#queue.length) {
          const item = this.#queue[this.#head]!;
          this.#queue[this.#head++] = undefined as T;
          if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
            this.#queue.splice(0, this.#head);
            this.#head = 0;
          }
          this.#queued -= this.#options.sizeOf(item);
          if (this.#paused && this.#queued <= this.#highWater / 2 && this.#failure === undefined) {
            this.#paused = false;
            this.#source.resume();
          }
          holding = true;
          taken = item;
          yield item;
          continue;
        }
        if (this.#failure !== undefined) throw this.#failure;
        if (this.#ended) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      if (holding) this.#options.done?.(taken!);
      for (let i = this.#head; i < this.#queue.length; i++) this.#options.done?.(this.#queue[i]!);
      this.#queue = [];
      this.#head = 0;
    }
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }
}

export async function* itemsOf<T>(source: Readable, decoder: StreamDecoder<T>, sizeOf: (item: T) => number, options: ItemStreamOptions = {}): AsyncGenerator<T> {
  const queue = new ItemQueue<T>(source, { sizeOf, ...(options.highWaterBytes === undefined ? {} : { highWaterBytes: options.highWaterBytes }) });
  const onData = (chunk: Buffer) => {
    try {
      queue.add(decoder.push(chunk));
      if (decoder.error !== undefined) throw decoder.error;
    } catch (err) {
      queue.fail(err);
      source.off('data', onData);
    }
  };
  let ended = false;
  const onEnd = () => {
    ended = true;
    try {
      decoder.finish();
      options.onEnd?.();
      queue.end();
    } catch (err) {
      queue.fail(err);
    }
  };
  const onError = (err: Error) => {
    ended = true;
    queue.fail(err);
  };
  // A destroyed source (reset connection) emits 'close' without 'end'.
  const onClose = () => {
    if (!ended) queue.fail(new Error('stream closed before its end'));
  };
  source.on('data', onData);
  source.once('end', onEnd);
  source.once('error', onError);
  source.once('close', onClose);
  try {
    yield* queue.items();
  } finally {
    source.off('data', onData);
    source.off('end', onEnd);
    source.off('error', onError);
    source.off('close', onClose);
  }
}

/** RecordIO records (`recordio.md`), with a maximum record size. */
export function recordsOf(source: Readable, options: ItemStreamOptions & { maxRecordSize?: number } = {}): AsyncGenerator<Buffer> {
  const decoder = new RecordIODecoder(options.maxRecordSize === undefined ? {} : { maxRecordSize: options.maxRecordSize });
  const adapter: StreamDecoder<Buffer> = {
    push: (chunk) => decoder.decode(chunk),
    finish: () => decoder.finish(),
    get error() {
      return decoder.error;
    },
  };
  return itemsOf(source, adapter, (r) => r.length, options);
}
