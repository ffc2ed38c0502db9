// Starting a task. Behind an interface so that executor tests can swap it, with one real
// implementation: every task is a container of the executor's Containerizer (its own
// namespaces and cgroups when the isolation allows, else a plain process group), its
// stdout/stderr appended to files in the task sandbox, or a PTY when the task asked for one.
import { randomUUID } from 'node:crypto';
import { chownSync, closeSync, createWriteStream, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { LaunchError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { mesos } from '../proto/codec.js';
import type { TtyTap } from '../contracts/task-view.js';
import { Containerizer, type Container, type ContainerSpec, type ContainerTermination } from '../containerizer/containerizer.js';
import { describe, NO_ISOLATION } from '../containerizer/isolation.js';
import type { ContainerLimitation } from '../containerizer/memory-limitation.js';
import type { ContainerResources } from '../containerizer/resources.js';
import { commandArgv, resolveExecutable } from '../process/command.js';
import { tapTerminal } from '../process/tty-tap.js';
import { runAs } from '../process/user.js';

export interface LaunchSpec {
  taskId: string;
  /** The task's nested ContainerID.value, which names its container (and cgroup); default a new UUID. */
  containerId?: string;
  command: mesos.CommandInfo;
  environment: Record<string, string>;
  workingDirectory: string;
  user?: string;
  /** Present when the task's ContainerInfo carries tty_info. */
  tty?: { columns: number; rows: number };
  /** The task's parsed `resources` and `limits`: its cgroup limits (default none). */
  resources?: ContainerResources;
  logger: Logger;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | number | null;
  /** Raw wait(2) status (exit code << 8, or the signal number). */
  waitStatus: number | undefined;
  /** The container was killed for exceeding a limit (its memory). */
  limitation?: ContainerLimitation;
  /** The command never ran; the container's init says why (`cannot execute '...': ...`). */
  launchFailure?: string;
}

export interface LaunchedProcess {
  /** The container's init (or the command, without isolation). */
  pid: number;
  exited: Promise<ProcessExit>;
  tty?: TtyTap;
  /** The task's container, for exec sessions, COMMAND checks and statistics. */
  container?: Container;
  /** A signal to the task's command (through its init; to its process group without one). */
  kill(signal: NodeJS.Signals): void;
  /** Kills everything the task started (its whole container); `exited` follows. */
  destroy(): void;
}

export interface ProcessLauncher {
  /** What isolation tasks get (`describe()`), for the task label. */
  readonly isolation: string;
  /** Present while the launcher is starting: the executor holds events until it settles. */
  readonly ready?: Promise<unknown>;
  /** Rejects with a LaunchError (missing executable, unknown user, ...) or a CgroupError naming the cause. */
  launch(spec: LaunchSpec): Promise<LaunchedProcess>;
}

/** Resolves on the next turn of the event loop, after pending I/O callbacks. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function processExit(t: ContainerTermination): ProcessExit {
  return {
    code: t.exitCode, signal: t.signal, waitStatus: t.waitStatus,
    ...(t.limitation ? { limitation: t.limitation } : {}), ...(t.launchFailure ? { launchFailure: t.launchFailure } : {}),
  };
}

function launched(container: Container, exited: Promise<ProcessExit>, tty?: TtyTap): LaunchedProcess {
  return {
    pid: container.pid,
    exited,
    container,
    ...(tty ? { tty } : {}),
    kill: (signal) => void container.kill(signal),
    destroy: () => void container.destroy(),
  };
}

export class RealProcessLauncher implements ProcessLauncher {
  readonly #containerizer: Containerizer;
  /** The previous launch's turn: launches take one event-loop turn each, in order. */
  #turn: Promise<void> = Promise.resolve();
  /** Output a TTY task's tap keeps for attach with a tail. */
  readonly #recentOutputBytes: number | undefined;

  /** Without a containerizer: one without isolation (tasks as plain process groups). */
  constructor(containerizer: Containerizer = new Containerizer({ isolation: NO_ISOLATION }), options: { recentOutputBytes?: number | undefined } = {}) {
    this.#containerizer = containerizer;
    this.#recentOutputBytes = options.recentOutputBytes;
  }

  get isolation(): string {
    return describe(this.#containerizer.isolation);
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
    const base = { id: spec.containerId ?? randomUUID(), file, args, argv0, env, cwd: spec.workingDirectory, uid: ids.uid, gid: ids.gid, resources: spec.resources ?? { limits: {} } };
    const stdoutPath = path.join(spec.workingDirectory, 'stdout');
    return spec.tty ? this.#launchTty(spec, base, ids, stdoutPath) : this.#launchFiles(base, ids, stdoutPath, path.join(spec.workingDirectory, 'stderr'));
  }

  async #launchFiles(base: Omit<ContainerSpec, 'io'>, ids: { uid?: number; gid?: number }, stdoutPath: string, stderrPath: string): Promise<LaunchedProcess> {
    // The files get the descriptors directly: the kernel moves the bytes and applies the
    // only backpressure there is (a full disk), and output survives the executor's death.
    const out = openSync(stdoutPath, 'a');
    const err = openSync(stderrPath, 'a');
    try {
      if (ids.uid !== undefined) {
        chownSync(stdoutPath, ids.uid, ids.gid ?? -1);
        chownSync(stderrPath, ids.uid, ids.gid ?? -1);
      }
      const container = await this.#containerizer.launch({ ...base, io: { type: 'fds', stdout: out, stderr: err } });
      return launched(container, container.wait().then(processExit));
    } finally {
      closeSync(out);
      closeSync(err);
    }
  }

  async #launchTty(spec: LaunchSpec, base: Omit<ContainerSpec, 'io'>, ids: { uid?: number; gid?: number }, stdoutPath: string): Promise<LaunchedProcess> {
    const output = createWriteStream(stdoutPath, { flags: 'a' });
    await new Promise<void>((resolve, reject) => {
      output.once('open', () => resolve());
      output.once('error', reject);
    });
    if (ids.uid !== undefined) chownSync(stdoutPath, ids.uid, ids.gid ?? -1);
    const { columns, rows } = spec.tty!;
    let container: Container;
    try {
      container = await this.#containerizer.launch({ ...base, io: { type: 'pty', columns, rows } });
    } catch (e) {
      output.destroy();
      throw e;
    }
    const { tap, exited } = tapTerminal(container.terminal!, output, this.#recentOutputBytes);
    spec.logger.debug({ pid: container.pid, columns, rows }, 'task started under a terminal');
    // The terminal's end comes first, so attach readers have all output before the exit.
    const exit = Promise.all([exited, container.wait()]).then(([, t]) => processExit(t));
    return launched(container, exit, tap);
  }
}
