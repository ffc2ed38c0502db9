// One streaming response of ProcessIO records (a session's own stream or an
// ATTACH_CONTAINER_OUTPUT reader): RecordIO framing, heartbeats on the injected clock,
// and the flow-control rule of attach-exec.md §9.
import type { ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import { codecs, RECORDIO_TYPE, type agent, type MessageContentType } from '../proto/codec.js';
import { encodeRecord } from '../proto/recordio.js';
import type { ChunkLease } from '../process/read-buffers.js';
import type { OutputStream } from './attach-target.js';
import type { ReaderSlot } from './output-readers.js';
import type { RequestMediaTypes } from './media-types.js';
import { recordEncoding } from './media-types.js';

export interface FlowControl {
  /** Called when the response's buffer is full; `resume` once it drained. */
  pause(): void;
  resume(): void;
}

export interface ProcessIOStreamOptions {
  clock: Clock;
  heartbeatIntervalMs: number;
  /** Bytes a reader may have queued before it is cut off (ignored with `flowControl`). */
  maxQueuedBytes: number;
  logger: Logger;
  /**
   * Only the session's own stream may slow its producer down; attach readers never do,
   * they are cut off instead, so a slow reader cannot stall the task or other readers.
   */
  flowControl?: FlowControl;
  /** An attach reader's share of the queue budget across all readers (output-readers.ts). */
  slot?: ReaderSlot;
}

export type StreamEnd = 'completed' | 'client-closed' | 'cut-off';

// Hand-framing DATA records skips the generic codec on the hot path; the bytes are the
// ones codecs.agent.ProcessIO produces (a test compares them).
function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

const DATA_TYPE_TAG = { STDOUT: 2, STDERR: 3 } as const;
// Records stay below glibc's mmap threshold (128 KiB): bigger buffers are mapped and
// unmapped on every allocation, page faults included, and cost more than they save.
// One full pipe read (64 KiB) per record, small reads of one turn merged.
const MAX_COALESCED_BYTES = 64 * 1024;
const JOIN_LIMIT_BYTES = 16 * 1024;

/**
 * A RecordIO frame holding ProcessIO{type: DATA(1), data(2): Data{type(1): STDOUT or
 * STDERR, data(2): the chunks}}: the length line and message head, then the chunks.
 * Small frames are joined into one buffer (one HTTP chunk: a keystroke echo is one
 * packet); big ones are handed over as they are, a copy of the payload saved.
 */
export function encodeDataRecordProtobuf(stream: OutputStream, chunks: Buffer[], payloadBytes?: number): Buffer[] {
  const length = payloadBytes ?? chunks.reduce((n, c) => n + c.length, 0);
  const dataLen = varint(length);
  const innerLen = 2 + 1 + dataLen.length + length;
  const innerLenBytes = varint(innerLen);
  const headLen = 3 + innerLenBytes.length + 3 + dataLen.length;
  const lengthLine = `${headLen + length}\n`;
  const joined = length <= JOIN_LIMIT_BYTES;
  const prefix = Buffer.allocUnsafe(lengthLine.length + headLen + (joined ? length : 0));
  let at = prefix.write(lengthLine, 0, 'latin1');
  prefix[at++] = 0x08;
  prefix[at++] = 0x01;
  prefix[at++] = 0x12;
  at += innerLenBytes.copy(prefix, at);
  prefix[at++] = 0x08;
  prefix[at++] = DATA_TYPE_TAG[stream];
  prefix[at++] = 0x12;
  at += dataLen.copy(prefix, at);
  if (!joined) return [prefix, ...chunks];
  for (const c of chunks) at += c.copy(prefix, at);
  return [prefix];
}

const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
// Up to this size the first buffer of a record is copied behind the chunk's size line.
const FRAME_JOIN_LIMIT_BYTES = JOIN_LIMIT_BYTES + 64;

/** One HTTP/1.1 chunk (RFC 9112 §7.1) holding `parts` (`size` bytes, never 0). */
function chunkFrame(parts: Buffer[], size: number): Buffer[] {
  const sizeLine = `${size.toString(16)}\r\n`;
  const first = parts[0]!;
  if (first.length > FRAME_JOIN_LIMIT_BYTES) return [Buffer.from(sizeLine, 'latin1'), ...parts, CRLF];
  const single = parts.length === 1;
  const head = Buffer.allocUnsafe(sizeLine.length + first.length + (single ? 2 : 0));
  let at = head.write(sizeLine, 0, 'latin1');
  at += first.copy(head, at);
  if (!single) return [head, ...parts.slice(1), CRLF];
  head[at++] = 0x0d;
  head[at] = 0x0a;
  return [head];
}

function releaseAll(releases: (() => void)[]): void {
  for (const r of releases) r();
}

export class ProcessIOStream {
  readonly #res: ServerResponse;
  readonly #encoding: MessageContentType;
  readonly #options: ProcessIOStreamOptions;
  #heartbeat: TimerHandle | undefined;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #pendingStream: OutputStream | undefined;
  /** Releases of the leased chunks in #pending: let go of once their record is written. */
  #pendingReleases: (() => void)[] = [];
  #endOfTurn: NodeJS.Immediate | undefined;
  #turnCorked = false;
  // A reader with a bounded queue must never be handed one record bigger than a part of it.
  readonly #maxCoalesced: number;
  #paused = false;
  #awaitingDrain = false;
  #closed = false;
  // True when this stream writes the HTTP chunk framing itself (see the constructor).
  readonly #framesChunks: boolean;
  #end: StreamEnd | undefined;
  readonly #endListeners: ((end: StreamEnd) => void)[] = [];
  bytesOut = 0;

  constructor(res: ServerResponse, types: RequestMediaTypes, options: ProcessIOStreamOptions) {
    this.#res = res;
    this.#encoding = recordEncoding(types);
    this.#options = options;
    this.#maxCoalesced = options.flowControl ? MAX_COALESCED_BYTES : Math.max(1, Math.min(MAX_COALESCED_BYTES, Math.floor(options.maxQueuedBytes / 4)));
    const headers: Record<string, string> = { 'Content-Type': types.accept };
    if (types.accept === RECORDIO_TYPE) headers['Message-Content-Type'] = types.messageAccept!;
    res.writeHead(200, headers);
    res.flushHeaders();
    // Node frames every res.write() as its own HTTP chunk, four buffers each, so a record
    // written as head + payload became two chunks and eight buffers, and the client's
    // HTTP parser delivered it in pieces. Framing the chunks here makes one chunk per
    // record (two or three buffers). Only once the headers are out and only when Node
    // chose chunked encoding (not for an HTTP/1.0 client, whose body ends with the
    // connection). Each chunk is complete (its CRLF included) when written: clients such
    // as urllib3 hand a chunk on only after its CRLF.
    this.#framesChunks = res.chunkedEncoding;
    if (this.#framesChunks) res.chunkedEncoding = false;
    res.socket?.setNoDelay(true);
    res.on('close', () => this.#closedBy(res.writableFinished ? 'completed' : 'client-closed'));
    this.#scheduleHeartbeat();
  }

  get ended(): boolean {
    return this.#closed;
  }

  /** Called once, with how the stream ended. */
  onEnd(listener: (end: StreamEnd) => void): void {
    if (this.#end) listener(this.#end);
    else this.#endListeners.push(listener);
  }

  /** `lease`: the chunk's buffer is reused once released; held until the chunk is written. */
  sendData(stream: OutputStream, chunk: Buffer, lease?: ChunkLease): void {
    // Upstream never sends an empty DATA record and its CLI aborts on one.
    if (chunk.length === 0 || this.#closed) return;
    // A chunk larger than the record limit leaves as several records (slices, no copy).
    while (chunk.length > this.#maxCoalesced) {
      this.#queueData(stream, chunk.subarray(0, this.#maxCoalesced), lease);
      chunk = chunk.subarray(this.#maxCoalesced);
    }
    this.#queueData(stream, chunk, lease);
  }

  #queueData(stream: OutputStream, chunk: Buffer, lease: ChunkLease | undefined): void {
    // Within one turn of the event loop: small chunks (a PTY delivers a few KiB per read)
    // are merged into records of up to MAX_COALESCED_BYTES, and the socket is corked so
    // that every record of the turn leaves in one writev. A lone keystroke echo still
    // leaves in this turn.
    if (this.#pendingStream !== undefined && (this.#pendingStream !== stream || this.#pendingBytes + chunk.length > this.#maxCoalesced)) this.#emitPending();
    this.#pendingStream = stream;
    this.#pending.push(chunk);
    if (lease) this.#pendingReleases.push(lease.retain());
    this.#pendingBytes += chunk.length;
    if (!this.#turnCorked) {
      this.#turnCorked = true;
      this.#res.cork();
    }
    if (this.#pendingBytes >= this.#maxCoalesced) this.#emitPending();
    this.#endOfTurn ??= setImmediate(() => this.#finishTurn());
  }

  #finishTurn(): void {
    if (this.#endOfTurn) clearImmediate(this.#endOfTurn);
    this.#endOfTurn = undefined;
    this.#emitPending();
    if (this.#turnCorked) {
      this.#turnCorked = false;
      this.#res.uncork();
    }
  }

  #emitPending(): void {
    const stream = this.#pendingStream;
    if (stream === undefined) return;
    const chunks = this.#pending;
    const bytes = this.#pendingBytes;
    const releases = this.#pendingReleases;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#pendingStream = undefined;
    this.#pendingReleases = [];
    if (this.#closed) return releaseAll(releases);
    if (this.#encoding === 'application/x-protobuf') {
      this.#write(encodeDataRecordProtobuf(stream, chunks, bytes), releases);
    } else {
      // The codec copies the payload: the leases can go at once.
      const chunk = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes);
      const message: agent.ProcessIO = { type: 'DATA', data: { type: stream, data: chunk } };
      this.#write([encodeRecord(codecs.agent.ProcessIO.encode(message, this.#encoding))]);
      releaseAll(releases);
    }
  }

  /** Ends the body normally: everything queued is flushed first. */
  end(): void {
    if (this.#closed) return;
    this.#finishTurn();
    this.#stopHeartbeat();
    if (this.#framesChunks) this.#res.end(LAST_CHUNK);
    else this.#res.end();
  }

  /** `releases`: of the leased chunks in `record`, called once the socket is done with them. */
  #write(record: Buffer[], releases: (() => void)[] = []): void {
    const size = record.reduce((n, p) => n + p.length, 0);
    const parts = this.#framesChunks ? chunkFrame(record, size) : record;
    const { flowControl, maxQueuedBytes, slot } = this.#options;
    if (!flowControl) {
      const queued = this.#res.writableLength + size;
      if (queued > maxQueuedBytes) {
        releaseAll(releases);
        return this.cutOff(`${queued} bytes would be queued for it, more than its limit of ${maxQueuedBytes}`);
      }
      if (slot && !slot.reserve(queued)) return releaseAll(releases);
    }
    // Corked: the parts of a frame leave in one writev.
    if (parts.length > 1) this.#res.cork();
    let ok = true;
    const last = parts.length - 1;
    // The callback of the last part runs once the socket wrote it, or failed to.
    for (let i = 0; i < last; i++) ok = this.#res.write(parts[i]!);
    ok = releases.length > 0 ? this.#res.write(parts[last]!, () => releaseAll(releases)) : this.#res.write(parts[last]!);
    if (parts.length > 1) this.#res.uncork();
    this.bytesOut += size;
    // What is really left after the write (often nothing: the kernel took it).
    slot?.reserve(this.#res.writableLength);
    if (!ok && slot && !this.#awaitingDrain) {
      this.#awaitingDrain = true;
      this.#res.once('drain', () => {
        this.#awaitingDrain = false;
        slot.reserve(this.#res.writableLength);
      });
    }
    if (!ok && flowControl && !this.#paused) {
      this.#paused = true;
      flowControl.pause();
      this.#res.once('drain', () => this.#release());
    }
  }

  #release(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#options.flowControl?.resume();
  }

  /** Disconnects a reader that fell behind (its own bound or the total of all readers). */
  cutOff(reason: string): void {
    if (this.#closed) return;
    this.#options.logger.warn({ queuedBytes: this.#res.writableLength, reason }, 'output reader fell too far behind; disconnecting it');
    this.#end = 'cut-off';
    // A reset, not a clean end of the chunked body: the client must not mistake a cut-off
    // for the process having finished.
    this.#res.destroy();
    // At once, not on 'close': the queued output and the listeners go now.
    this.#closedBy('cut-off');
  }

  #closedBy(end: StreamEnd): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#endOfTurn) clearImmediate(this.#endOfTurn);
    this.#endOfTurn = undefined;
    this.#pending = [];
    releaseAll(this.#pendingReleases.splice(0));
    this.#stopHeartbeat();
    this.#release();
    this.#options.slot?.release();
    const final = this.#end ?? end;
    this.#end = final;
    for (const l of this.#endListeners.splice(0)) l(final);
  }

  #scheduleHeartbeat(): void {
    const interval = this.#options.heartbeatIntervalMs;
    this.#heartbeat = this.#options.clock.setTimeout(() => {
      if (this.#closed) return;
      const message: agent.ProcessIO = {
        type: 'CONTROL',
        control: { type: 'HEARTBEAT', heartbeat: { interval: { nanoseconds: BigInt(interval) * 1_000_000n } } },
      };
      this.#write([encodeRecord(codecs.agent.ProcessIO.encode(message, this.#encoding))]);
      this.#scheduleHeartbeat();
    }, interval);
  }

  #stopHeartbeat(): void {
    this.#options.clock.clearTimeout(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
