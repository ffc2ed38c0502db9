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

export async function* itemsOf<T>(source: Readable, decoder: StreamDecoder<T>, sizeOf: (item: T) => number, options: ItemStreamOptions = {}): AsyncGenerator<T> {
  const highWater = options.highWaterBytes ?? 1024 * 1024;
  const queue: T[] = [];
  let queued = 0;
  let head = 0;
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (chunk: Buffer) => {
    try {
      for (const item of decoder.push(chunk)) {
        queue.push(item);
        queued += sizeOf(item);
      }
      if (decoder.error !== undefined) throw decoder.error;
    } catch (err) {
      failure = err;
      source.off('data', onData);
    }
    if (queued > highWater) source.pause();
    notify();
  };
  const onEnd = () => {
    ended = true;
    try {
      decoder.finish();
      options.onEnd?.();
    } catch (err) {
      failure ??= err;
    }
    notify();
  };
  const onError = (err: Error) => {
    failure ??= err;
    ended = true;
    notify();
  };
  // A destroyed source (reset connection) emits 'close' without 'end'.
  const onClose = () => {
    if (!ended) {
      ended = true;
      failure ??= new Error('stream closed before its end');
      notify();
    }
  };
  source.on('data', onData);
  source.once('end', onEnd);
  source.once('error', onError);
  source.once('close', onClose);
  try {
    for (;;) {
      if (head < queue.length) {
        const item = queue[head]!;
        queue[head++] = undefined as T;
        if (head > 1024 && head * 2 > queue.length) {
          queue.splice(0, head);
          head = 0;
        }
        queued -= sizeOf(item);
        if (queued <= highWater / 2 && source.isPaused() && failure === undefined) source.resume();
        yield item;
        continue;
      }
      if (failure !== undefined) throw failure;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
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
