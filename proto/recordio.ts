// RecordIO framing (`<decimal length>\n<payload>`), as Mesos streams events and ProcessIO.
// The decoder is a small state machine over bytes: frames may be split across chunks or
// packed several to a chunk, and once it fails it stays failed (there is no way to find
// the next frame boundary again).
import { RecordIOError } from '../common/errors.js';

export const DEFAULT_MAX_RECORD_SIZE = 16 * 1024 * 1024;

const LF = 0x0a;
// 2^64 - 1 has 20 digits; a longer length line cannot be valid.
const MAX_HEADER_DIGITS = 20;
const MAX_U64 = 2n ** 64n - 1n;

export function encodeRecord(payload: Uint8Array): Buffer {
  const header = Buffer.from(`${payload.byteLength}\n`, 'latin1');
  return Buffer.concat([header, payload]);
}

export interface LengthLine {
  digits: string;
  next: number;
  length?: number;
}

/**
 * Reads a record's length line from `buf` at `at`, continuing the `digits` already seen in
 * earlier chunks. `length` is set once the line feed arrived; `next` is where reading goes
 * on. Only ASCII digits are valid; the limit is checked before any payload is buffered.
 */
export function readLengthLine(buf: Buffer, at: number, digits: string, maxRecordSize: number): LengthLine {
  const lf = buf.indexOf(LF, at);
  const end = lf === -1 ? buf.length : lf;
  for (let j = at; j < end; j++) {
    const c = buf[j]!;
    if (c < 0x30 || c > 0x39) throw new RecordIOError('E_RECORDIO_LENGTH', `invalid byte 0x${c.toString(16).padStart(2, '0')} in record length`);
  }
  const seen = digits + buf.toString('latin1', at, end);
  if (seen.length > MAX_HEADER_DIGITS) throw new RecordIOError('E_RECORDIO_LENGTH', 'record length has more than 20 digits');
  if (lf === -1) return { digits: seen, next: end };
  if (seen.length === 0) throw new RecordIOError('E_RECORDIO_LENGTH', 'empty record length line');
  const length = BigInt(seen);
  if (length > MAX_U64) throw new RecordIOError('E_RECORDIO_LENGTH', `record length ${seen} exceeds 2^64-1`);
  if (length > BigInt(maxRecordSize)) throw new RecordIOError('E_RECORDIO_TOO_LARGE', `record of ${seen} bytes exceeds the limit of ${maxRecordSize} bytes`);
  return { digits: seen, next: lf + 1, length: Number(length) };
}

/**
 * The sticky failed state every RecordIO reader shares: after a broken frame there is no
 * way to find the next boundary, so the first error is the answer to every later call.
 */
export class RecordIOFailure {
  #error: RecordIOError | undefined;

  get error(): RecordIOError | undefined {
    return this.#error;
  }

  throwIfFailed(): void {
    if (this.#error) throw this.#error;
  }

  /** Runs one step; a RecordIOError it throws breaks the stream for good. */
  guard<T>(step: () => T): T {
    try {
      return step();
    } catch (err) {
      if (err instanceof RecordIOError) this.#error ??= err;
      throw err;
    }
  }

  fail(code: RecordIOError['code'], message: string): never {
    this.#error ??= new RecordIOError(code, message);
    throw this.#error;
  }
}

type State = { kind: 'header'; digits: string } | { kind: 'record'; length: number; chunks: Buffer[]; received: number };

export class RecordIODecoder {
  readonly maxRecordSize: number;
  #state: State = { kind: 'header', digits: '' };
  readonly #failure = new RecordIOFailure();

  constructor(options: { maxRecordSize?: number } = {}) {
    this.maxRecordSize = options.maxRecordSize ?? DEFAULT_MAX_RECORD_SIZE;
  }

  /** Feeds bytes; returns every record completed by them (possibly none). */
  decode(chunk: Uint8Array): Buffer[] {
    this.#failure.throwIfFailed();
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const records: Buffer[] = [];
    try {
      this.#decodeInto(buf, records);
    } catch (err) {
      // Records completed before the bad bytes are still good (an ACKNOWLEDGED, say):
      // hand them out; the failure is sticky and surfaces on the next call.
      if (records.length === 0) throw err;
    }
    return records;
  }

  /** The error that broke the stream, once it is broken. */
  get error(): RecordIOError | undefined {
    return this.#failure.error;
  }

  #decodeInto(buf: Buffer, records: Buffer[]): void {
    let i = 0;
    while (i < buf.length) {
      const state: State = this.#state;
      if (state.kind === 'header') {
        const line = this.#failure.guard(() => readLengthLine(buf, i, state.digits, this.maxRecordSize));
        i = line.next;
        if (line.length === undefined) {
          state.digits = line.digits;
          break;
        }
        if (line.length === 0) {
          records.push(Buffer.alloc(0));
          this.#state = { kind: 'header', digits: '' };
        } else {
          this.#state = { kind: 'record', length: line.length, chunks: [], received: 0 };
        }
      } else if (state.kind === 'record') {
        const take = Math.min(state.length - state.received, buf.length - i);
        state.chunks.push(buf.subarray(i, i + take));
        state.received += take;
        i += take;
        if (state.received === state.length) {
          records.push(state.chunks.length === 1 ? state.chunks[0]! : Buffer.concat(state.chunks, state.length));
          this.#state = { kind: 'header', digits: '' };
        }
      }
    }
  }

  /** Call at end of input: a stream that stops inside a frame is truncated. */
  finish(): void {
    this.#failure.throwIfFailed();
    const state = this.#state;
    if (state.kind === 'record' || state.digits.length > 0) {
      const where = state.kind === 'record' ? `after ${state.received} of ${state.length} payload bytes` : 'inside a record length';
      this.#failure.fail('E_RECORDIO_TRUNCATED', `stream ended ${where}`);
    }
  }
}

/**
 * Reads RecordIO records from a byte stream. Pulling from the async iterator is what
 * drives the source, so a slow consumer applies backpressure all the way down.
 */
export async function* readRecords(source: AsyncIterable<Uint8Array>, options: { maxRecordSize?: number } = {}): AsyncGenerator<Buffer> {
  const decoder = new RecordIODecoder(options);
  for await (const chunk of source) {
    for (const record of decoder.decode(chunk)) yield record;
    if (decoder.error) throw decoder.error;
  }
  decoder.finish();
}
