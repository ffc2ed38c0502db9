// A command under a pseudo-terminal (node-pty), the one way tasks, exec sessions and the
// test harness start one. What it adds to node-pty: the output is read to its real EOF,
// tail included, after the command exits (pty-drain.ts); the command's process group is
// killed when it exits (Mesos destroys the container then; it also closes the terminal's
// slave side so that EOF comes); input goes through PtyWriter (backpressure); and the exit
// is reported as a wait(2) status.
import { createRequire } from 'node:module';
import type * as Pty from 'node-pty';
import { systemClock, type Clock } from '../common/clock.js';
import { LaunchError } from '../common/errors.js';
import { rawWaitStatus, signalGroup } from '../common/process.js';
import { drainPtyOnExit } from './pty-drain.js';
import { terminalInput } from './pty-writer.js';

export interface TerminalSpawn {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  columns: number;
  rows: number;
  /** The TERM the command sees (node-pty sets it); 'xterm' by default, whatever `env` says. */
  name?: string;
  uid?: number;
  gid?: number;
  clock?: Clock;
}

export interface TerminalExit {
  code: number | null;
  signal: number | null;
  /** Raw wait(2) status (exit code << 8, or the signal number). */
  waitStatus: number | undefined;
}

export interface Terminal {
  /** The command, leader of its own process group (node-pty makes it a session leader). */
  readonly pid: number;
  /** Output bytes as read from the master, raw (not necessarily UTF-8). */
  onData(listener: (chunk: Buffer) => void): void;
  /** Once, after the output reached EOF (or the drain limit passed). */
  onExit(listener: (exit: TerminalExit) => void): void;
  /** Resolves once the terminal took the bytes; accepted and dropped after the exit. */
  write(data: Buffer): Promise<void>;
  /** Ignored after the exit and for a size node-pty cannot set (0 columns or rows). */
  resize(columns: number, rows: number): void;
  /** Output backpressure; ignored once the command exited, so the output drains. */
  pause(): void;
  resume(): void;
}

/**
 * After a command exited and its group was killed, how long its output (terminal or pipes)
 * may take to reach EOF. Only a process that left the group (setsid) can hold it open longer.
 */
export const OUTPUT_DRAIN_LIMIT_MS = 5000;

const require = createRequire(import.meta.url);
// Loaded on first use: most executors never run a TTY task, and the addon costs start-up.
let nodePty: typeof Pty | undefined;

/** Starts `file` under a new terminal; a LaunchError naming it when node-pty cannot. */
export function spawnTerminal(spec: TerminalSpawn): Terminal {
  nodePty ??= require('node-pty') as typeof Pty;
  const clock = spec.clock ?? systemClock;
  let term: Pty.IPty;
  try {
    term = nodePty.spawn(spec.file, spec.args, {
      name: spec.name ?? 'xterm',
      cols: spec.columns,
      rows: spec.rows,
      cwd: spec.cwd,
      env: spec.env,
      // null: hand us the raw bytes; the terminal's output is not necessarily UTF-8.
      encoding: null,
      ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
      ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
    } as Pty.IPtyForkOptions);
  } catch (err) {
    throw new LaunchError(`Failed to execute '${spec.file}' under a terminal: ${(err as Error).message}`, { cause: err });
  }
  const pid = term.pid;
  let exiting = false;
  let exited = false;
  const dataListeners: ((chunk: Buffer) => void)[] = [];
  const deliver = (chunk: Buffer): void => {
    for (const l of dataListeners) l(chunk);
  };
  term.onData((data: string | Buffer) => deliver(typeof data === 'string' ? Buffer.from(data) : data));
  drainPtyOnExit(term, {
    clock,
    maxWaitMs: OUTPUT_DRAIN_LIMIT_MS,
    onExitObserved: () => {
      exiting = true;
      signalGroup(pid, 'SIGKILL');
      term.resume();
    },
    onTail: deliver,
  });
  const input = terminalInput(term, { clock });
  const exitListeners: ((exit: TerminalExit) => void)[] = [];
  let lastExit: TerminalExit | undefined;
  term.onExit(({ exitCode, signal }) => {
    exited = true;
    input.close();
    const sig = signal ? signal : null;
    const code = sig ? null : exitCode;
    const exit = { code, signal: sig, waitStatus: rawWaitStatus(code, sig) };
    lastExit = exit;
    for (const l of exitListeners.splice(0)) l(exit);
  });
  return {
    pid,
    onData: (listener) => {
      dataListeners.push(listener);
    },
    onExit: (listener) => {
      // A container's terminal is handed over after launch() resolved: it may be over already.
      if (lastExit) {
        const exit = lastExit;
        queueMicrotask(() => listener(exit));
      } else exitListeners.push(listener);
    },
    write: (data) => input.write(data),
    resize: (columns, rows) => {
      if (columns > 0 && rows > 0 && !exiting && !exited) term.resize(columns, rows);
    },
    pause: () => {
      if (!exiting) term.pause();
    },
    resume: () => term.resume(),
  };
}
