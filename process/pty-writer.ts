// Writes to a PTY master, for exec sessions and for TTY tasks alike (attach input), with
// one flow-control rule. A keystroke goes straight to the terminal with one write(2) on
// the caller's turn (no thread-pool round trip). When the terminal's input buffer is full
// (EAGAIN: the program is not reading) the rest waits in order and is retried after a
// capped exponential back-off on the injected clock; the returned promise resolves once
// the bytes are in, and the input stream awaits it, so no more of the request body is
// read while the terminal is full.
//
// Why a back-off and not libuv's writability poll: node-pty's tty.ReadStream already owns
// the master fd's epoll registration (a second libuv handle on the same fd would clash),
// and tty.WriteStream switches the fd to blocking writes. A retry every few tens of
// milliseconds costs nothing measurable; retrying on every turn (setImmediate) kept a
// core busy for as long as the program did not read.
//
// After close() (the terminal's process exited) writes are accepted and dropped: Mesos
// writes a session's last records (^D, the empty STDIN record) to a master that still
// takes them, and answers 200. EIO from the master means the same (no slave side left).
import { writeSync } from 'node:fs';
import { systemClock, type Clock, type TimerHandle } from '../common/clock.js';

interface Pending {
  data: Buffer;
  done: () => void;
  fail: (err: Error) => void;
}

export interface PtyWriterOptions {
  clock?: Clock;
  /** First retry after a full terminal, in ms. */
  minRetryMs?: number;
  /** Longest wait between retries, in ms (the back-off doubles up to this). */
  maxRetryMs?: number;
  /** The write(2) itself: bytes written, or throws (EAGAIN when full). Injected in tests. */
  writeSome?: (data: Buffer) => number;
}

export const DEFAULT_PTY_RETRY_MS = { min: 1, max: 50 } as const;

export class PtyWriter {
  readonly #queue: Pending[] = [];
  readonly #clock: Clock;
  readonly #minRetryMs: number;
  readonly #maxRetryMs: number;
  readonly #writeSome: (data: Buffer) => number;
  #retry: TimerHandle | undefined;
  #retryMs: number;
  #closed = false;
  // A real write failure (not EAGAIN, not EIO): every later write fails with it too.
  #failure: Error | undefined;
  /** Bytes accepted after the terminal closed and dropped. */
  droppedBytes = 0;

  constructor(fd: number, options: PtyWriterOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#minRetryMs = options.minRetryMs ?? DEFAULT_PTY_RETRY_MS.min;
    this.#maxRetryMs = options.maxRetryMs ?? DEFAULT_PTY_RETRY_MS.max;
    this.#retryMs = this.#minRetryMs;
    this.#writeSome = options.writeSome ?? ((data) => writeSync(fd, data));
  }

  /** Bytes waiting for the terminal to take them. */
  get queuedBytes(): number {
    return this.#queue.reduce((n, p) => n + p.data.length, 0);
  }

  get waiting(): boolean {
    return this.#retry !== undefined;
  }

  write(data: Buffer): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) {
      this.droppedBytes += data.length;
      return Promise.resolve();
    }
    if (data.length === 0) return Promise.resolve();
    return new Promise<void>((done, fail) => {
      this.#queue.push({ data, done, fail });
      if (this.#queue.length === 1) this.#flush();
    });
  }

  /** The terminal is gone: pending and later input is dropped, never an error. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clock.clearTimeout(this.#retry);
    this.#retry = undefined;
    for (const p of this.#queue.splice(0)) {
      this.droppedBytes += p.data.length;
      p.done();
    }
  }

  #scheduleRetry(progressed: boolean): void {
    // Progress means the program is reading: come back soon. No progress: wait longer.
    if (progressed) this.#retryMs = this.#minRetryMs;
    const delay = this.#retryMs;
    this.#retryMs = Math.min(this.#maxRetryMs, this.#retryMs * 2);
    this.#retry = this.#clock.setTimeout(() => {
      this.#retry = undefined;
      this.#flush();
    }, delay);
  }

  #flush(): void {
    let progressed = false;
    while (this.#queue.length > 0 && !this.#closed) {
      const head = this.#queue[0]!;
      let written: number;
      try {
        written = this.#writeSome(head.data);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') return this.#scheduleRetry(progressed);
        if (code === 'EIO') return this.close();
        this.#failure = err as Error;
        for (const p of this.#queue.splice(0)) p.fail(this.#failure);
        return;
      }
      if (written < head.data.length) {
        head.data = head.data.subarray(written);
        return this.#scheduleRetry(true);
      }
      progressed = true;
      this.#retryMs = this.#minRetryMs;
      this.#queue.shift();
      head.done();
    }
  }
}

export interface TerminalInput {
  write(data: Buffer): Promise<void>;
  close(): void;
}

/**
 * The input side of a node-pty terminal. node-pty has a public `fd` getter that its
 * typings omit; should that ever change, its own (thread-pool, unbounded) writes are
 * the fallback.
 */
export function terminalInput(term: { write(data: string | Buffer): void }, options: PtyWriterOptions = {}): TerminalInput {
  const fd = (term as unknown as { fd?: unknown }).fd;
  if (typeof fd === 'number') return new PtyWriter(fd, options);
  let closed = false;
  return {
    write: async (data) => {
      if (!closed) term.write(data);
    },
    close: () => {
      closed = true;
    },
  };
}
