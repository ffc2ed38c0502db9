// Client-side reader of a RecordIO stream of ProcessIO messages. Protobuf DATA records,
// nearly all of a stream's bytes, are not reassembled: a record usually spans two socket
// reads, and copying it together only to hand its payload on costs a copy of everything.
// Their payload is passed on in the slices it arrived in, as several DATA messages of the
// same type: output chunking carries no meaning (attach-exec.md §5). Any other record is
// collected whole and decoded by the codec. A pushed buffer may be read into again after
// the push (a reused read buffer): what is kept across pushes is copied, and what a push
// returns may lie in its buffer.
import { codecs, type agent, type MessageContentType } from '../proto/codec.js';
import { readLengthLine, RecordIOFailure, type LengthLine } from '../proto/recordio.js';

// Longest DATA head: 08 01 12 <varint ≤ 10> 08 <type> 12 <varint ≤ 10>.
const MAX_HEAD = 26;
const DATA_TYPES: Record<number, agent.ProcessIO.Data.Type> = { 1: 'STDIN', 2: 'STDOUT', 3: 'STDERR' };

type State =
  | { kind: 'length'; digits: string }
  // The first bytes of a record, to see whether it is a plain DATA record.
  | { kind: 'head'; length: number; bytes: Buffer[]; received: number }
  | { kind: 'data'; type: agent.ProcessIO.Data.Type; remaining: number }
  | { kind: 'record'; length: number; chunks: Buffer[]; received: number };

function readVarint(buf: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
    scale *= 128;
  }
  return undefined;
}

/**
 * When `head` (the first bytes of a record of `length` bytes) is exactly
 * ProcessIO{type: DATA, data: {type, data}} in canonical field order, the data type and
 * where the payload starts; undefined otherwise (or when more bytes are needed).
 */
export function parseDataHead(head: Buffer, length: number): { type: agent.ProcessIO.Data.Type; payloadAt: number } | undefined {
  if (head[0] !== 0x08 || head[1] !== 0x01 || head[2] !== 0x12) return undefined;
  const inner = readVarint(head, 3);
  if (!inner || inner.next + inner.value !== length) return undefined;
  const at = inner.next;
  if (head[at] !== 0x08) return undefined;
  const type = DATA_TYPES[head[at + 1]!];
  if (!type || head[at + 2] !== 0x12) return undefined;
  const data = readVarint(head, at + 3);
  if (!data || data.next + data.value !== length) return undefined;
  return { type, payloadAt: data.next };
}

export class ProcessIOReader {
  readonly #encoding: MessageContentType;
  readonly #maxRecordSize: number;
  #state: State = { kind: 'length', digits: '' };
  readonly #failure = new RecordIOFailure();

  constructor(encoding: MessageContentType, maxRecordSize: number) {
    this.#encoding = encoding;
    this.#maxRecordSize = maxRecordSize;
  }

  /** Feeds bytes; returns the messages they complete (DATA payloads as they come). */
  push(buf: Buffer): agent.ProcessIO[] {
    this.#failure.throwIfFailed();
    const out: agent.ProcessIO[] = [];
    let i = 0;
    while (i < buf.length) {
      const state: State = this.#state;
      switch (state.kind) {
        case 'length': {
          const line: LengthLine = this.#failure.guard(() => readLengthLine(buf, i, state.digits, this.#maxRecordSize));
          i = line.next;
          if (line.length === undefined) {
            state.digits = line.digits;
            return out;
          }
          const length: number = line.length;
          // An empty record carries nothing (recordio.md §4): skip it.
          if (length === 0) this.#state = { kind: 'length', digits: '' };
          else if (this.#encoding === 'application/x-protobuf') this.#state = { kind: 'head', length, bytes: [], received: 0 };
          else this.#state = { kind: 'record', length, chunks: [], received: 0 };
          break;
        }
        case 'head': {
          const want = Math.min(state.length, MAX_HEAD) - state.received;
          const take = Math.min(want, buf.length - i);
          state.bytes.push(Buffer.from(buf.subarray(i, i + take)));
          state.received += take;
          i += take;
          if (state.received < Math.min(state.length, MAX_HEAD)) return out;
          const head: Buffer = state.bytes.length === 1 ? state.bytes[0]! : Buffer.concat(state.bytes);
          const data = parseDataHead(head, state.length);
          if (!data) {
            this.#state = { kind: 'record', length: state.length, chunks: [head], received: head.length };
            if (head.length === state.length) this.#completeRecord(out);
            break;
          }
          const payload: number = state.length - data.payloadAt;
          if (state.received === take) {
            // The whole head came from this chunk: go back to where the payload starts, so
            // that it leaves as one slice.
            i = i - take + data.payloadAt;
            this.#state = payload > 0 ? { kind: 'data', type: data.type, remaining: payload } : { kind: 'length', digits: '' };
            break;
          }
          // The head spans chunks (rare): what it holds of the payload leaves on its own.
          const first = head.subarray(data.payloadAt);
          const remaining: number = payload - first.length;
          if (first.length > 0) out.push({ type: 'DATA', data: { type: data.type, data: first } });
          this.#state = remaining > 0 ? { kind: 'data', type: data.type, remaining } : { kind: 'length', digits: '' };
          break;
        }
        case 'data': {
          const take = Math.min(state.remaining, buf.length - i);
          out.push({ type: 'DATA', data: { type: state.type, data: buf.subarray(i, i + take) } });
          state.remaining -= take;
          i += take;
          if (state.remaining === 0) this.#state = { kind: 'length', digits: '' };
          break;
        }
        case 'record': {
          const take = Math.min(state.length - state.received, buf.length - i);
          const rest = buf.subarray(i, i + take);
          state.chunks.push(state.received + take === state.length ? rest : Buffer.from(rest));
          state.received += take;
          i += take;
          if (state.received === state.length) this.#completeRecord(out);
          break;
        }
      }
    }
    return out;
  }

  /** At the end of the stream: one that stops inside a record is truncated. */
  finish(): void {
    this.#failure.throwIfFailed();
    const state = this.#state;
    if (state.kind !== 'length' || state.digits.length > 0) this.#failure.fail('E_RECORDIO_TRUNCATED', 'stream ended inside a record');
  }

  #completeRecord(out: agent.ProcessIO[]): void {
    const state = this.#state as Extract<State, { kind: 'record' }>;
    const record = state.chunks.length === 1 ? state.chunks[0]! : Buffer.concat(state.chunks, state.length);
    this.#state = { kind: 'length', digits: '' };
    out.push(codecs.agent.ProcessIO.decode(record, this.#encoding));
  }
}
