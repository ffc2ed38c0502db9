// RecordIO records from a Node readable (an HTTP body), as an async generator with
// backpressure. Unlike `for await` over the stream, which makes Node concatenate (copy)
// whatever is buffered on every read, this takes each socket chunk as delivered and
// pauses the socket while the records not yet consumed exceed a bound.
import type { Readable } from 'node:stream';
import { RecordIODecoder } from '../proto/recordio.js';

export interface RecordStreamOptions {
  maxRecordSize?: number;
  /** Pause the source while this many record bytes wait for the consumer. */
  highWaterBytes?: number;
  /** Called at the end of the source; may throw (e.g. an HTTP body that was cut off). */
  onEnd?: () => void;
}

export async function* recordsOf(source: Readable, options: RecordStreamOptions = {}): AsyncGenerator<Buffer> {
  const decoder = new RecordIODecoder(options.maxRecordSize === undefined ? {} : { maxRecordSize: options.maxRecordSize });
  const highWater = options.highWaterBytes ?? 1024 * 1024;
  const queue: Buffer[] = [];
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
      for (const record of decoder.decode(chunk)) {
        queue.push(record);
        queued += record.length;
      }
      if (decoder.error) throw decoder.error;
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
  source.on('data', onData);
  source.once('end', onEnd);
  source.once('error', onError);
  // A destroyed source (reset connection) emits 'close' without 'end'.
  source.once('close', () => {
    if (!ended) {
      ended = true;
      failure ??= new Error('stream closed before its end');
      notify();
    }
  });
  try {
    for (;;) {
      if (head < queue.length) {
        const record = queue[head]!;
        queue[head++] = undefined as unknown as Buffer;
        if (head > 1024 && head * 2 > queue.length) {
          queue.splice(0, head);
          head = 0;
        }
        queued -= record.length;
        if (queued <= highWater / 2 && source.isPaused() && failure === undefined) source.resume();
        yield record;
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
  }
}
