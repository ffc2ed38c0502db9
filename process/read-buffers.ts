// The buffers a pipe's reads go into, reused once nobody holds what was read into them.
// Node gives every read of a pipe a fresh 64 KiB ArrayBuffer; at exec speed a GiB is
// 16,384 of them, and V8 answered the external memory with ~40 full collections per GiB,
// a third of the switchboard's CPU (its profile: 0.84 s of garbage collection in 1.9 s).
// A chunk read into a slab here comes with its lease: whoever keeps the chunk past the call
// that handed it over retains the lease, and the slab is read into again only once every
// retain was released. A holder that never releases only costs the slab's reuse (it is
// left to the garbage collector), never the bytes it holds.

/** Retain before keeping a chunk beyond the call that handed it over; call what it returns once done. */
export interface ChunkLease {
  retain(): () => void;
}

/** A slab and the holds on it (the reader's own, while it reads into it, counts as one). */
class Slab implements ChunkLease {
  readonly buffer: Buffer;
  holds = 0;
  readonly #onFree: (slab: Slab) => void;

  constructor(size: number, onFree: (slab: Slab) => void) {
    this.buffer = Buffer.allocUnsafeSlow(size);
    this.#onFree = onFree;
  }

  retain(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  release(): void {
    if (--this.holds === 0) this.#onFree(this);
  }
}

export interface ReadBuffersOptions {
  /** Bytes per slab; a read gets what is left of the current one. */
  slabBytes?: number;
  /** A slab with less than this left is done with: reads never get less. */
  minReadBytes?: number;
  /** Free slabs kept for reuse; more are left to the garbage collector. */
  maxFreeSlabs?: number;
}

// A read of up to 256 KiB: a session's pipe holds that much (process/os-pipe.ts PIPE_BYTES),
// libuv's stdio "pipes" (socketpairs) about 200 KiB, so a reader that fell behind takes it
// all in one read (Node's 64 KiB needs four).
export const SLAB_BYTES = 256 * 1024;
export const MIN_READ_BYTES = 64 * 1024;
const MAX_FREE_SLABS = 4;

export class ReadBuffers {
  readonly #slabBytes: number;
  readonly #minRead: number;
  readonly #maxFree: number;
  readonly #free: Slab[] = [];
  #current: Slab;
  #offset = 0;
  /** Slabs allocated so far (for tests and figures: reuse keeps it small). */
  allocated = 0;

  constructor(options: ReadBuffersOptions = {}) {
    this.#slabBytes = options.slabBytes ?? SLAB_BYTES;
    this.#minRead = Math.min(options.minReadBytes ?? MIN_READ_BYTES, this.#slabBytes);
    this.#maxFree = options.maxFreeSlabs ?? MAX_FREE_SLABS;
    this.#current = this.#take();
  }

  /** Where the next read goes: the rest of the current slab. */
  get target(): Buffer {
    return this.#current.buffer.subarray(this.#offset);
  }

  /**
   * The last read put `n` bytes into `target`: the chunk and its lease, valid until
   * `advance()`, which the reader calls once the chunk's listeners had their turn.
   */
  commit(n: number): { chunk: Buffer; lease: ChunkLease } {
    const chunk = this.#current.buffer.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return { chunk, lease: this.#current };
  }

  /**
   * After the listeners of the last chunk: the reader lets go of a slab with too little
   * left (its chunks' holders keep it; only then could it be handed out again) and says
   * where the next read goes.
   */
  advance(): Buffer {
    if (this.#slabBytes - this.#offset < this.#minRead) {
      const done = this.#current;
      this.#current = this.#take();
      this.#offset = 0;
      done.release();
    }
    return this.target;
  }

  #take(): Slab {
    const slab = this.#free.pop() ?? this.#allocate();
    slab.holds = 1;
    return slab;
  }

  #allocate(): Slab {
    this.allocated++;
    return new Slab(this.#slabBytes, (s) => {
      if (this.#free.length < this.#maxFree) this.#free.push(s);
    });
  }
}
