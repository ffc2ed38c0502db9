// Writes to a PTY master without node-pty's thread-pool round trip: a keystroke goes
// straight to the terminal with one write(2) on the caller's turn, which takes a thread
// hop off every keystroke's round trip. When the terminal's input buffer is full (EAGAIN)
// the rest waits in order and is retried on the next turns; the returned promise resolves
// once the bytes are in, which gives input streams their backpressure.
import { writeSync } from 'node:fs';

interface Pending {
  data: Buffer;
  done: () => void;
  fail: (err: Error) => void;
}

export class PtyWriter {
  readonly #fd: number;
  readonly #queue: Pending[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #closed = false;

  constructor(fd: number) {
    this.#fd = fd;
  }

  write(data: Buffer): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('terminal is closed'));
    if (data.length === 0) return Promise.resolve();
    return new Promise<void>((done, fail) => {
      this.#queue.push({ data, done, fail });
      if (this.#queue.length === 1) this.#flush();
    });
  }

  close(): void {
    this.#closed = true;
    if (this.#scheduled) clearImmediate(this.#scheduled);
    for (const p of this.#queue.splice(0)) p.fail(new Error('terminal is closed'));
  }

  #flush(): void {
    this.#scheduled = undefined;
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      let written: number;
      try {
        written = writeSync(this.#fd, head.data);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          this.#scheduled = setImmediate(() => this.#flush());
          return;
        }
        this.close();
        head.fail(err as Error);
        return;
      }
      if (written < head.data.length) {
        head.data = head.data.subarray(written);
        this.#scheduled = setImmediate(() => this.#flush());
        return;
      }
      this.#queue.shift();
      head.done();
    }
  }
}
