// The last bytes a terminal or session printed, kept so that an attach can start with the
// prompt or the error that came just before it (docs/switchboard.md, "Attach with recent
// output"). Bounded: the oldest bytes go first, a chunk larger than the whole ring keeps
// only its end, and memory never exceeds the capacity plus one read's buffer.
import { EnvironmentError } from '../common/errors.js';
import type { ChunkLease } from './read-buffers.js';

/** Bytes kept per TTY task or session unless the operator says otherwise. */
export const DEFAULT_OUTPUT_TAIL_BYTES = 64 * 1024;
/** The largest ring an operator may configure (per container). */
export const MAX_OUTPUT_TAIL_BYTES = 16 * 1024 * 1024;
/** Read by the executor (TTY tasks) and the switchboard (sessions); 0 keeps nothing. */
export const OUTPUT_TAIL_ENV = 'MESOS_SIDECAR_SWITCHBOARD_OUTPUT_TAIL_BYTES';

export function outputTailBytesFromEnv(env: NodeJS.ProcessEnv): number {
  const value = env[OUTPUT_TAIL_ENV];
  if (value === undefined || value === '') return DEFAULT_OUTPUT_TAIL_BYTES;
  if (!/^\d+$/.test(value) || Number(value) > MAX_OUTPUT_TAIL_BYTES) {
    throw new EnvironmentError(OUTPUT_TAIL_ENV, `expected a number of bytes from 0 (keep nothing) to ${MAX_OUTPUT_TAIL_BYTES}, got '${value}'`);
  }
  return Number(value);
}

export interface RecentChunk<S extends string> {
  stream: S;
  chunk: Buffer;
}

interface Entry<S extends string> extends RecentChunk<S> {
  /** Set for a chunk in a reused read buffer: let go of once the entry is dropped. */
  release?: () => void;
}

export class OutputRing<S extends string = 'STDOUT'> {
  readonly capacity: number;
  readonly #entries: Array<Entry<S>> = [];
  /** Index of the oldest live entry; entries before it are dropped lazily. */
  #head = 0;
  #bytes = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`OutputRing capacity must be an integer >= 0, got ${capacity}`);
    this.capacity = capacity;
  }

  /** Bytes currently kept (at most `capacity`). */
  get size(): number {
    return this.#bytes;
  }

  /** `lease`: the chunk's buffer is reused once released (read-buffers.ts); the ring holds it while it keeps the chunk. */
  push(chunk: Buffer, stream: S = 'STDOUT' as S, lease?: ChunkLease): void {
    if (this.capacity === 0 || chunk.length === 0) return;
    // By reference: a copy of every chunk (allocation and memcpy) cost a third of exec's
    // throughput; a leased one is held. Only an unleased chunk larger than the ring is
    // copied, so that its end does not pin all of it (a leased one pins its slab, which is
    // bounded); a partly dropped oldest chunk pins at most one read's buffer beyond the
    // capacity.
    const end = chunk.length > this.capacity ? chunk.subarray(chunk.length - this.capacity) : chunk;
    const entry: Entry<S> = { stream, chunk: lease || end === chunk ? end : Buffer.from(end) };
    if (lease) entry.release = lease.retain();
    this.#entries.push(entry);
    this.#bytes += entry.chunk.length;
    while (this.#bytes > this.capacity) {
      const oldest = this.#entries[this.#head]!;
      const excess = this.#bytes - this.capacity;
      if (oldest.chunk.length <= excess) {
        this.#bytes -= oldest.chunk.length;
        oldest.release?.();
        this.#entries[this.#head++] = undefined as unknown as Entry<S>;
      } else {
        oldest.chunk = oldest.chunk.subarray(excess);
        this.#bytes -= excess;
      }
    }
    if (this.#head > 64 && this.#head * 2 > this.#entries.length) {
      this.#entries.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /**
   * The last `maxBytes` bytes (at most what is kept), oldest first, per stream as printed;
   * copies of what sits in reused buffers, so the caller may keep them.
   */
  tail(maxBytes: number): Array<RecentChunk<S>> {
    let budget = Math.min(Math.max(0, Math.floor(maxBytes)), this.#bytes);
    const out: Array<RecentChunk<S>> = [];
    for (let i = this.#entries.length - 1; i >= this.#head && budget > 0; i--) {
      const { stream, chunk, release } = this.#entries[i]!;
      const part = chunk.length <= budget ? chunk : chunk.subarray(chunk.length - budget);
      out.push({ stream, chunk: release ? Buffer.from(part) : part });
      budget -= part.length;
    }
    return out.reverse();
  }
}
