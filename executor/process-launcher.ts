// Starting a task's process. Behind an interface so that executor tests can swap it, with
// one real implementation: a child in its own process group (so a kill reaches every
// descendant), stdout/stderr appended to files in the task sandbox, or a PTY when the
// task asked for one.
import { spawn } from 'node:child_process';
import { chownSync, closeSync, createWriteStream, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { LaunchError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { rawWaitStatus } from '../common/process.js';
import type { mesos } from '../proto/codec.js';
import type { TtyTap } from '../contracts/task-view.js';
import { commandArgv, resolveExecutable } from '../process/command.js';
import { spawnTerminal, type Terminal } from '../process/terminal.js';
import { tapTerminal } from '../process/tty-tap.js';
import { runAs } from '../process/user.js';

export interface LaunchSpec {
  taskId: string;
  command: mesos.CommandInfo;
  environment: Record<string, string>;
  workingDirectory: string;
  user?: string;
  /** Present when the task's ContainerInfo carries tty_info. */
  tty?: { columns: number; rows: number };
  logger: Logger;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | number | null;
  /** Raw wait(2) status (exit code << 8, or the signal number). */
  waitStatus: number | undefined;
}

export interface LaunchedProcess {
  /** Leader of the task's process group. */
  pid: number;
  exited: Promise<ProcessExit>;
  tty?: TtyTap;
}

export interface ProcessLauncher {
  /** Rejects with a LaunchError (missing executable, unknown user, ...) naming the cause. */
  launch(spec: LaunchSpec): Promise<LaunchedProcess>;
}

/** Resolves on the next turn of the event loop, after pending I/O callbacks. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class RealProcessLauncher implements ProcessLauncher {
  /** The previous launch's turn: launches take one event-loop turn each, in order. */
  #turn: Promise<void> = Promise.resolve();
  /** Output a TTY task's tap keeps for attach with a tail. */
  readonly #recentOutputBytes: number | undefined;

  constructor(options: { recentOutputBytes?: number } = {}) {
    this.#recentOutputBytes = options.recentOutputBytes;
  }

  async launch(spec: LaunchSpec): Promise<LaunchedProcess> {
    // Spawning blocks the loop for a millisecond or more (fork, exec, the sandbox files):
    // a burst of thousands of LAUNCHes done at once would hold acknowledgements, KILLs and
    // the switchboard back for seconds. One launch per turn lets them in between.
    const turn = this.#turn.then(nextTurn);
    this.#turn = turn;
    await turn;
    const { file, args, argv0 } = commandArgv(spec.command);
    const env = { ...spec.environment };
    const ids = runAs(spec.user, env);
    try {
      mkdirSync(spec.workingDirectory, { recursive: true });
      if (ids.uid !== undefined) chownSync(spec.workingDirectory, ids.uid, ids.gid ?? -1);
    } catch (err) {
      throw new LaunchError(`Failed to create sandbox ${spec.workingDirectory}: ${(err as Error).message}`, { cause: err });
    }
    resolveExecutable(file, env.PATH, spec.workingDirectory);
    const stdoutPath = path.join(spec.workingDirectory, 'stdout');
    const stderrPath = path.join(spec.workingDirectory, 'stderr');
    return spec.tty
      ? this.#launchTty(spec, file, args, env, ids, stdoutPath)
      : this.#launchPiped(spec, file, args, argv0, env, ids, stdoutPath, stderrPath);
  }

  async #launchPiped(
    spec: LaunchSpec, file: string, args: string[], argv0: string, env: Record<string, string>,
    ids: { uid?: number; gid?: number }, stdoutPath: string, stderrPath: string,
  ): Promise<LaunchedProcess> {
    // The files get the descriptors directly: the kernel moves the bytes and applies the
    // only backpressure there is (a full disk), and output survives the executor's death.
    const out = openSync(stdoutPath, 'a');
    const err = openSync(stderrPath, 'a');
    try {
      if (ids.uid !== undefined) {
        chownSync(stdoutPath, ids.uid, ids.gid ?? -1);
        chownSync(stderrPath, ids.uid, ids.gid ?? -1);
      }
      const child = spawn(file, args, {
        argv0, env, cwd: spec.workingDirectory, detached: true, stdio: ['ignore', out, err],
        ...(ids.uid !== undefined ? { uid: ids.uid } : {}), ...(ids.gid !== undefined ? { gid: ids.gid } : {}),
      });
      const exited = new Promise<ProcessExit>((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal, waitStatus: rawWaitStatus(code, signal) }));
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (e: NodeJS.ErrnoException) => {
          reject(new LaunchError(`Failed to execute '${file}': ${e.code ?? e.message}`, { cause: e }));
        });
      });
      return { pid: child.pid!, exited };
    } finally {
      closeSync(out);
      closeSync(err);
    }
  }

  async #launchTty(
    spec: LaunchSpec, file: string, args: string[], env: Record<string, string>,
    ids: { uid?: number; gid?: number }, stdoutPath: string,
  ): Promise<LaunchedProcess> {
    const output = createWriteStream(stdoutPath, { flags: 'a' });
    await new Promise<void>((resolve, reject) => {
      output.once('open', () => resolve());
      output.once('error', reject);
    });
    if (ids.uid !== undefined) chownSync(stdoutPath, ids.uid, ids.gid ?? -1);
    let terminal: Terminal;
    try {
      terminal = spawnTerminal({ file, args, env, cwd: spec.workingDirectory, columns: spec.tty!.columns, rows: spec.tty!.rows, ...ids });
    } catch (e) {
      output.destroy();
      throw e;
    }
    const { tap, exited } = tapTerminal(terminal, output, this.#recentOutputBytes);
    spec.logger.debug({ pid: terminal.pid, columns: spec.tty!.columns, rows: spec.tty!.rows }, 'task started under a terminal');
    return { pid: terminal.pid, exited, tty: tap };
  }
}
