// What `mesos-sidecar run` shows of its tasks' own output: it follows the stdout and stderr
// files the executor gives each task in its sandbox (the embedded agent's operator view,
// as `docker compose up` shows its services) and prints them line by line, prefixed with
// the task's name:
//   web-server | serving /tmp/…/tasks/web-server.1f2e3d4c on http://127.0.0.1:8480/
//   migrate    | migration failed: schema v7 missing
// Lines are kept whole (a partial line waits for its end, up to MAX_LINE_BYTES), and a
// task's files are read to their end before its terminal status line is printed, so the
// last words of a failing task come before "TASK_FAILED".
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Clock, TimerHandle } from '../common/clock.js';

/** A longer line is printed in pieces of this size rather than buffered without end. */
export const MAX_LINE_BYTES = 16 * 1024;
/** Bytes read from one file per poll: a chatty task cannot starve the status lines. */
export const READ_PER_POLL_BYTES = 256 * 1024;
export const POLL_INTERVAL_MS = 100;

/** Splits a byte stream into lines: UTF-8 kept intact across chunks, partial lines bounded. */
export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  readonly #maxLine: number;
  #partial = '';

  constructor(maxLineBytes = MAX_LINE_BYTES) {
    this.#maxLine = maxLineBytes;
  }

  /** The complete lines in `chunk` (without their "\n"; a "\r" before it is dropped too). */
  push(chunk: Buffer): string[] {
    const text = this.#partial + this.#decoder.write(chunk);
    const lines = text.split('\n');
    this.#partial = lines.pop()!;
    const out = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    // Cut by characters, not bytes: close enough for a bound, and never splits a character.
    while (Buffer.byteLength(this.#partial) > this.#maxLine) {
      out.push(this.#partial.slice(0, this.#maxLine));
      this.#partial = this.#partial.slice(this.#maxLine);
    }
    return out;
  }

  /** What is left once the stream has ended: a last line without "\n", if any. */
  end(): string[] {
    const rest = this.#partial + this.#decoder.end();
    this.#partial = '';
    return rest === '' ? [] : [rest];
  }
}

/** Reads what was appended to a file since the last read; a file not there yet is empty. */
export class FileFollower {
  readonly path: string;
  #offset = 0;
  readonly #buffer = Buffer.alloc(64 * 1024);

  constructor(path: string) {
    this.path = path;
  }

  /** Up to `limit` new bytes (Infinity: to the current end of the file). */
  read(limit: number): Buffer[] {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (err) {
      // ENOENT: the task has not started (or a TTY task has no stderr); the rest is ours to know.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const chunks: Buffer[] = [];
    try {
      let total = 0;
      while (total < limit) {
        const n = readSync(fd, this.#buffer, 0, Math.min(this.#buffer.length, limit - total), this.#offset);
        if (n === 0) break;
        chunks.push(Buffer.from(this.#buffer.subarray(0, n)));
        this.#offset += n;
        total += n;
      }
    } finally {
      closeSync(fd);
    }
    return chunks;
  }
}

export interface FollowedTask {
  taskId: string;
  /** The prefix, e.g. the TaskInfo name. */
  label: string;
  /** The task's own sandbox, holding `stdout` and `stderr`. */
  sandbox: string;
}

interface Followed {
  prefix: string;
  streams: Array<{ file: FileFollower; lines: LineSplitter }>;
}

// docker compose's palette, minus red (taken by errors) and black/white (the background).
const COLORS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

/** Follows every task's output files and prints their lines through `print`. */
export class TaskOutput {
  readonly #tasks = new Map<string, Followed>();
  readonly #print: (line: string) => void;
  readonly #clock: Clock;
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(tasks: FollowedTask[], options: { print: (line: string) => void; clock: Clock; color: boolean }) {
    this.#print = options.print;
    this.#clock = options.clock;
    const width = Math.max(...tasks.map((t) => t.label.length));
    tasks.forEach((t, i) => {
      const text = `${t.label.padEnd(width)} |`;
      const prefix = options.color ? `\x1b[${COLORS[i % COLORS.length]}m${text}\x1b[0m` : text;
      this.#tasks.set(t.taskId, { prefix, streams: ['stdout', 'stderr'].map((name) => ({ file: new FileFollower(join(t.sandbox, name)), lines: new LineSplitter() })) });
    });
  }

  /** Polls every POLL_INTERVAL_MS until stop(). */
  start(): void {
    const tick = (): void => {
      if (this.#stopped) return;
      this.poll();
      this.#timer = this.#clock.setTimeout(tick, POLL_INTERVAL_MS);
    };
    tick();
  }

  /** Prints the complete lines written since the last poll, a bounded amount per file. */
  poll(): void {
    for (const task of this.#tasks.values()) this.#emit(task, READ_PER_POLL_BYTES, false);
  }

  /** The task ended: prints the rest of its files, last partial lines included, and forgets it. */
  finish(taskId: string): void {
    const task = this.#tasks.get(taskId);
    if (!task) return;
    this.#tasks.delete(taskId);
    this.#emit(task, Infinity, true);
  }

  /** Prints what every task still has, then stops polling. */
  stop(): void {
    for (const id of [...this.#tasks.keys()]) this.finish(id);
    this.#stopped = true;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
  }

  #printLine(task: Followed, line: string): void {
    this.#print(line === '' ? task.prefix : `${task.prefix} ${line}`);
  }

  #emit(task: Followed, limit: number, ended: boolean): void {
    for (const { file, lines } of task.streams) {
      let chunks: Buffer[];
      try {
        chunks = file.read(limit);
      } catch (err) {
        // The sandbox went away or became unreadable: say so once and stop following it.
        this.#print(`${task.prefix} (cannot read ${file.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        task.streams = task.streams.filter((s) => s.file !== file);
        continue;
      }
      for (const chunk of chunks) for (const line of lines.push(chunk)) this.#printLine(task, line);
      if (ended) for (const line of lines.end()) this.#printLine(task, line);
    }
  }
}
