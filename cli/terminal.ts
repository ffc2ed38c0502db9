// The local terminal of `exec -t` / `attach`: raw mode in, restored on every way out
// (normal return, thrown error, signal, process exit), and its window size.
import type { ReadStream } from 'node:tty';
import { signalName, waitStatusParts } from '../common/process.js';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

export interface WindowSize {
  columns: number;
  rows: number;
}

export class LocalTerminal {
  readonly #stdin: ReadStream;
  readonly #stdout: NodeJS.WriteStream;
  #raw = false;
  readonly #onExit = () => this.restore();
  readonly #onSignal = (signal: NodeJS.Signals) => {
    this.restore();
    // The shell's convention for death by signal; the remote session dies with our connection.
    process.exit(128 + (({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1, SIGQUIT: 3 }) as Record<string, number>)[signal]!);
  };

  constructor(stdin: NodeJS.ReadStream = process.stdin, stdout: NodeJS.WriteStream = process.stdout) {
    this.#stdin = stdin as ReadStream;
    this.#stdout = stdout;
  }

  get isTerminal(): boolean {
    return this.#stdin.isTTY === true;
  }

  size(): WindowSize {
    return { columns: this.#stdout.columns ?? 80, rows: this.#stdout.rows ?? 24 };
  }

  /** Calls `listener` on every SIGWINCH (Node delivers it as stdout's 'resize'). */
  onResize(listener: (size: WindowSize) => void): () => void {
    const handler = () => listener(this.size());
    this.#stdout.on('resize', handler);
    return () => this.#stdout.off('resize', handler);
  }

  enterRawMode(): void {
    if (this.#raw || !this.isTerminal) return;
    this.#stdin.setRawMode(true);
    this.#raw = true;
    process.on('exit', this.#onExit);
    for (const s of SIGNALS) process.on(s, this.#onSignal);
  }

  restore(): void {
    if (!this.#raw) return;
    this.#raw = false;
    try {
      this.#stdin.setRawMode(false);
    } catch {
      // stdin already closed: the terminal went away, nothing left to restore
    }
    process.off('exit', this.#onExit);
    for (const s of SIGNALS) process.off(s, this.#onSignal);
  }
}

/** Exit code for a raw wait status, as the Mesos CLI computes it: 128+signal or the code. */
export function exitCodeOf(waitStatus: number | undefined): number {
  if (waitStatus === undefined) return 1;
  const { exitCode, signal } = waitStatusParts(waitStatus);
  return signal !== null ? 128 + signal : exitCode!;
}

/** A raw wait status in words: `exit status 3`, `killed by signal SIGINT`. */
export function describeWaitStatus(waitStatus: number | undefined): string {
  if (waitStatus === undefined) return 'exit status unknown';
  const { exitCode, signal } = waitStatusParts(waitStatus);
  return signal !== null ? `killed by signal ${signalName(signal)}` : `exit status ${exitCode}`;
}
