// One LAUNCH_NESTED_CONTAINER_SESSION: a command run with its task's environment,
// directory and user in a container nested in the task's (its namespaces, a cgroup under
// the task's), under a PTY or with three pipes. When the session ends its container is
// destroyed, as Mesos destroys a session container; without isolation that is the
// session's own process group.
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { accessSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Clock } from '../common/clock.js';
import { drainedOrClosed } from '../common/drained.js';
import type { Logger } from '../common/logger.js';
import { rawWaitStatus, signalGroup } from '../common/process.js';
import type { mesos } from '../proto/codec.js';
import type { TaskView } from '../contracts/task-view.js';
import { isCgroupName, type Container, type Containerizer } from '../containerizer/containerizer.js';
import type { ContainerLimitation } from '../containerizer/memory-limitation.js';
import type { AttachTarget, OutputListener, OutputOptions, OutputStream, RecentOutput } from './attach-target.js';
import { DEFAULT_OUTPUT_TAIL_BYTES, OutputRing } from '../process/output-ring.js';
import { containerIdText } from './container-id.js';
import { badRequest } from './errors.js';
import { CommandValueMissingError, DEFAULT_PATH, commandArgv, locateExecutable, type Argv, type ExecutableMissing } from '../process/command.js';
import { OUTPUT_DRAIN_LIMIT_MS } from '../process/terminal.js';
import { runAs } from '../process/user.js';
import { readPipe } from '../process/pipe-reader.js';
import type { ChunkLease } from '../process/read-buffers.js';

export interface Termination {
  /** Raw wait(2) status; undefined when unknown. */
  exitStatus?: number | undefined;
  /** The task's memory limit ended the session (Mesos gives a container's nested ones its termination). */
  limitation?: ContainerLimitation | undefined;
}

type SessionState =
  | { kind: 'running' }
  // Main process gone, its container being destroyed, output still being read to the end.
  | { kind: 'draining' }
  | { kind: 'terminated'; termination: Termination };

interface Producer {
  write(data: Buffer): Promise<void>;
  closeStdin(): void;
  resize(columns: number, rows: number): void;
  pause(): void;
  resume(): void;
}

export interface SessionLaunch {
  containerId: mesos.ContainerID;
  task: TaskView;
  command: mesos.CommandInfo;
  /** Present when the session asked for a TTY; window size optional. */
  ttyInfo?: mesos.TTYInfo;
  logger: Logger;
  clock: Clock;
  /** Output kept for attach with a tail (0: none). */
  recentOutputBytes?: number;
  /** Launches the session's container: nested in `task.container` when it has one. */
  containerizer: Containerizer;
}

/** Everything about a session decided before anything is started. */
interface SessionPlan {
  file: string;
  args: string[];
  argv0: string;
  env: Record<string, string>;
  cwd: string;
  user: { uid?: number; gid?: number };
  /** Set when the command cannot be executed: the session only reports it. */
  failure?: ExecFailure;
}

/** argv of the session's command; a missing value is the caller's error, worded as Mesos does. */
function sessionArgv(command: mesos.CommandInfo): Argv {
  try {
    return commandArgv(command);
  } catch (err) {
    if (err instanceof CommandValueMissingError) throw badRequest("Expecting 'launch_nested_container_session.command.value' to be present");
    throw err;
  }
}

/** What the session prints for a command that cannot start (docker exec's wording). */
interface ExecFailure {
  exitCode: 126 | 127;
  message: string;
}

/**
 * The task's own view of the filesystem: a task with namespaces has its own mount
 * namespace, which the executable is looked up in, so that our words for a missing
 * command stay ours (nsenter's and the init's differ). Undefined when that view is gone.
 */
function taskRoot(container: Container | undefined): string | undefined {
  if (!container?.isolation.namespaces) return '';
  const root = `/proc/${container.pid}/root`;
  try {
    accessSync(root);
    return root;
  } catch {
    return undefined;
  }
}

/**
 * The session's name in the containerizer (its cgroup's last component): the id's value,
 * as Mesos names the cgroup, unless the value has characters a cgroup name should not
 * (Mesos allows `:`, `@`, ...) or another container of the executor has it (the containerizer's names
 * are flat): then a digest of the whole id.
 */
export function containerName(id: mesos.ContainerID, containerizer: Containerizer): string {
  if (isCgroupName(id.value) && !containerizer.containers.has(id.value)) return id.value;
  return `session-${createHash('sha256').update(containerIdText(id)).digest('hex').slice(0, 32)}`;
}

/** Thrown when the task's container is gone before its session could start. */
export class ParentGoneError extends Error {}

function planSession(launch: SessionLaunch, tty: boolean): SessionPlan {
  const { file, args, argv0 } = sessionArgv(launch.command);
  const env = sessionEnvironment(launch.task, launch.command, tty);
  const cwd = launch.task.workingDirectory;
  try {
    if (!statSync(cwd).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw badRequest(`Failed to launch: working directory '${cwd}' is unusable: ${(err as Error).message}`);
  }
  const root = taskRoot(launch.task.container);
  if (root === undefined) throw new ParentGoneError();
  const executable = locateExecutable(file, env.PATH, cwd, root);
  let user: { uid?: number; gid?: number };
  try {
    // As for the task itself: a shell as another user gets that user's HOME and USER.
    user = runAs(launch.command.user ?? taskUser(launch.task), env);
    if (user.uid === undefined && !env.HOME) {
      // Mesos gives executors no HOME; a login-ish shell then reads `$HOME/...` as `/...`
      // (bash: /.cargo/env: No such file). docker exec fills it in from the user; so do we.
      env.HOME = userInfo().homedir;
    }
  } catch (err) {
    throw badRequest(`Failed to launch: ${(err as Error).message}`);
  }
  if (!('path' in executable)) return { file, args, argv0, env, cwd, user, failure: execFailure(file, executable) };
  return { file: executable.path, args, argv0, env, cwd, user };
}

function execFailure(file: string, missing: ExecutableMissing): ExecFailure {
  const why = missing.reason === 'not-found' ? `No such file or directory${file.includes('/') ? '' : ' (searched the PATH of the task)'}` : missing.reason;
  return { exitCode: missing.exitCode, message: `Failed to execute '${file}': ${why}` };
}

/** Whom a task's processes run as: its CommandInfo.user, else the executor's own user. */
export function taskUser(task: TaskView): string {
  return task.user ?? userInfo().username;
}

export function sessionEnvironment(task: TaskView, command: mesos.CommandInfo, tty: boolean): Record<string, string> {
  const env: Record<string, string> = { ...task.environment };
  for (const v of command.environment?.variables ?? []) {
    if ((v.type ?? 'VALUE') !== 'VALUE') throw badRequest(`'launch_nested_container_session.command.environment' variable '${v.name}': secrets are not supported by the switchboard`);
    env[v.name] = v.value ?? '';
  }
  env.PATH ??= DEFAULT_PATH;
  if (tty) env.TERM ??= 'xterm';
  return env;
}

export class ExecSession implements AttachTarget {
  readonly containerId: mesos.ContainerID;
  readonly containerText: string;
  readonly taskId: string;
  readonly tty: boolean;
  readonly command: mesos.CommandInfo;
  /** The user the session runs as: `command.user`, else its task's. */
  readonly user: string;
  readonly startedAt: number;
  /** The session's container; undefined for a command that could not be executed. */
  readonly container: Container | undefined;
  inputAttached = false;
  bytesIn = 0;
  bytesOut = 0;
  readonly #logger: Logger;
  /** Each listener, and whether it takes leased chunks (OutputOptions.borrows). */
  readonly #listeners = new Map<OutputListener, boolean>();
  #owningListeners = 0;
  readonly #endListeners = new Set<() => void>();
  readonly #producer: Producer;
  #state: SessionState = { kind: 'running' };
  #pauses = 0;
  readonly terminated: Promise<Termination>;
  #resolveTerminated!: (t: Termination) => void;

  readonly #clock: Clock;
  readonly #recent: OutputRing<OutputStream>;

  /**
   * Validates the call (a 400 naming what is wrong), then launches the session's container.
   * The containerizer's errors (LaunchError, ContainerStateError) and ParentGoneError are
   * the caller's to answer.
   */
  static async start(launch: SessionLaunch): Promise<ExecSession> {
    const tty = launch.ttyInfo !== undefined;
    const plan = planSession(launch, tty);
    if (plan.failure) return new ExecSession(launch, undefined, plan.failure);
    const size = launch.ttyInfo?.window_size;
    const usable = size !== undefined && size.columns > 0 && size.rows > 0;
    const container = await launch.containerizer.launch({
      id: containerName(launch.containerId, launch.containerizer),
      ...(launch.task.container ? { parent: launch.task.container } : {}),
      file: plan.file, args: plan.args, argv0: plan.argv0, env: plan.env, cwd: plan.cwd, ...plan.user,
      io: tty ? { type: 'pty', columns: usable ? size.columns : 80, rows: usable ? size.rows : 24 } : { type: 'pipe' },
    });
    return new ExecSession(launch, container, undefined);
  }

  private constructor(launch: SessionLaunch, container: Container | undefined, failure: ExecFailure | undefined) {
    this.#clock = launch.clock;
    this.#recent = new OutputRing(launch.recentOutputBytes ?? DEFAULT_OUTPUT_TAIL_BYTES);
    this.containerId = launch.containerId;
    this.containerText = containerIdText(launch.containerId);
    this.taskId = launch.task.taskId;
    this.tty = launch.ttyInfo !== undefined;
    this.command = launch.command;
    this.user = launch.command.user ?? taskUser(launch.task);
    this.startedAt = launch.clock.now();
    this.#logger = launch.logger;
    this.container = container;
    this.terminated = new Promise((resolve) => (this.#resolveTerminated = resolve));
    if (!container) this.#producer = this.#failedExec(failure!);
    else {
      this.#producer = container.terminal ? this.#readTerminal(container) : this.#readPipes(container);
      void this.#finishWith(container);
    }
  }

  /** Undefined for a command that could not be executed (no process was started). */
  get pid(): number | undefined {
    return this.container?.pid;
  }

  get state(): SessionState['kind'] {
    return this.#state.kind;
  }

  get outputEnded(): boolean {
    return this.#state.kind === 'terminated';
  }

  /**
   * A command that cannot be executed still gets a session, as in Mesos (whose launcher
   * prints "Failed to execute ..." and exits): the message on its stderr (the terminal's
   * output with a TTY) and the shell's status for it, so a Mesos client's WAIT and our
   * CLI's exit code agree (127 or 126, as with docker exec). The output is emitted once
   * the caller has subscribed to it (a microtask after its first listener).
   */
  #failedExec(failure: ExecFailure): Producer {
    this.#logger.info({ exitCode: failure.exitCode }, failure.message);
    this.#onFirstListener = () =>
      queueMicrotask(() => {
        this.#emit(this.tty ? 'STDOUT' : 'STDERR', Buffer.from(`${failure.message}${this.tty ? '\r\n' : '\n'}`));
        this.#mainExited(rawWaitStatus(failure.exitCode, null));
        this.#finish({ exitStatus: rawWaitStatus(failure.exitCode, null) });
      });
    const nothing = () => {};
    return { write: async () => {}, closeStdin: nothing, resize: nothing, pause: nothing, resume: nothing };
  }

  #outputClosed!: Promise<void>;

  /** Terminates once the output is read to its end and the container is destroyed. */
  async #finishWith(container: Container): Promise<void> {
    const ended = container.wait().catch((err: unknown) => {
      // A cgroup that would not empty or go away: the session still ends, its status unknown.
      this.#logger.error({ err }, 'session container was not cleaned up');
      return undefined;
    });
    const [end] = await Promise.all([ended, this.#outputClosed]);
    this.#finish({ exitStatus: end?.waitStatus, ...(end?.limitation ? { limitation: end.limitation } : {}) });
  }

  #readTerminal(container: Container): Producer {
    const term = container.terminal!;
    term.onData((data) => this.#emit('STDOUT', data));
    // The terminal reports its exit once its output is read to the end (or the drain limit).
    this.#outputClosed = new Promise((resolve) =>
      term.onExit(({ waitStatus }) => {
        this.#mainExited(waitStatus);
        resolve();
      }),
    );
    return {
      write: (data) => term.write(data),
      closeStdin: () => {},
      // A 0 × 0 size (the upstream CLI sends one first, to force a redraw) cannot be set
      // through node-pty; the real size follows right after it.
      resize: (columns, rows) => term.resize(columns, rows),
      pause: () => term.pause(),
      resume: () => term.resume(),
    };
  }

  #readPipes(container: Container): Producer {
    const child = container.child!;
    child.on('error', (err) => this.#logger.warn({ err }, 'session process error'));
    // EPIPE after the process is gone is expected: input that nobody reads any more.
    child.stdin!.on('error', (err) => this.#logger.debug({ err }, 'session stdin error'));
    // Into reused buffers (process/read-buffers.ts): a fresh buffer per read made exec's
    // output a garbage collector's job. The containerizer kept the pipes unread for us:
    // a quick command may have exited before this runs.
    // Read from the first listener on (until then it waits in the pipe), so that none of
    // a quick command's output goes before anyone hears it.
    const stdout = readPipe(child.stdout! as Socket, { onData: (c, lease) => this.#emit('STDOUT', c, lease) }, { paused: true });
    const stderr = readPipe(child.stderr! as Socket, { onData: (c, lease) => this.#emit('STDERR', c, lease) }, { paused: true });
    this.#onFirstListener = () => {
      if (this.#pauses > 0) return;
      stdout.resume();
      stderr.resume();
    };
    this.#outputClosed = Promise.all([stdout.closed, stderr.closed]).then(() => undefined);
    let closed = false;
    void this.#outputClosed.then(() => (closed = true));
    const exited = (code: number | null, signal: NodeJS.Signals | null) => {
      this.#mainExited(rawWaitStatus(code, signal));
      const limit = this.#clock.setTimeout(() => {
        if (closed) return;
        this.#logger.warn('session output still open after its process group was killed (a process left the group?); closing it');
        stdout.destroy();
        stderr.destroy();
      }, OUTPUT_DRAIN_LIMIT_MS);
      void this.#outputClosed.then(() => this.#clock.clearTimeout(limit));
    };
    if (child.exitCode !== null || child.signalCode !== null) exited(child.exitCode, child.signalCode);
    else child.once('exit', exited);
    return {
      write: async (data) => {
        const stdin = child.stdin!;
        if (stdin.writableEnded || stdin.destroyed) throw new Error('stdin is closed');
        if (!stdin.write(data)) await drainedOrClosed(stdin);
      },
      closeStdin: () => child.stdin!.end(),
      resize: () => {},
      pause: () => {
        stdout.pause();
        stderr.pause();
      },
      resume: () => {
        stdout.resume();
        stderr.resume();
      },
    };
  }

  #emit(stream: OutputStream, chunk: Buffer, lease?: ChunkLease): void {
    if (chunk.length === 0) return;
    this.bytesOut += chunk.length;
    this.#recent.push(chunk, stream, lease);
    // A listener that does not take part in leasing may keep the chunk for good: so may
    // its buffer (the lease is never released, the buffer left to the garbage collector).
    if (lease && this.#owningListeners > 0) lease.retain();
    for (const [listener, borrows] of this.#listeners) listener(stream, chunk, borrows ? lease : undefined);
  }

  /** `exitStatus`: what the process we spawned ended with, for the log (WAIT gets the container's). */
  #mainExited(exitStatus: number | undefined): void {
    if (this.#state.kind !== 'running') return;
    this.#state = { kind: 'draining' };
    // Nothing of the session outlives its main process. An isolated container is destroyed
    // by the containerizer (its cgroup); without isolation that is the process group.
    const c = this.container;
    if (c && !c.isolation.namespaces && !c.isolation.cgroups) signalGroup(c.pid, 'SIGKILL');
    this.#logger.debug({ exitStatus }, 'session main process exited');
  }

  #finish(termination: Termination): void {
    if (this.#state.kind === 'terminated') return;
    this.#state = { kind: 'terminated', termination };
    for (const listener of this.#endListeners) listener();
    this.#endListeners.clear();
    this.#listeners.clear();
    this.#owningListeners = 0;
    this.#resolveTerminated(termination);
  }

  #onFirstListener: (() => void) | undefined;

  onOutput(listener: OutputListener, options: OutputOptions = {}): () => void {
    if (this.#listeners.has(listener)) return () => {};
    const borrows = options.borrows === true;
    this.#listeners.set(listener, borrows);
    if (!borrows) this.#owningListeners++;
    const first = this.#onFirstListener;
    this.#onFirstListener = undefined;
    first?.();
    return () => {
      if (this.#listeners.delete(listener) && !borrows) this.#owningListeners--;
    };
  }

  recentOutput(maxBytes: number): RecentOutput[] {
    return this.#recent.tail(maxBytes);
  }

  onOutputEnd(listener: () => void): () => void {
    if (this.outputEnded) {
      queueMicrotask(listener);
      return () => {};
    }
    this.#endListeners.add(listener);
    return () => this.#endListeners.delete(listener);
  }

  /** Backpressure from the session's own stream: pause the PTY/pipes while it is full. */
  pauseOutput(): void {
    if (this.#pauses++ === 0) this.#producer.pause();
  }

  resumeOutput(): void {
    if (this.#pauses > 0 && --this.#pauses === 0) this.#producer.resume();
  }

  async writeStdin(data: Buffer): Promise<void> {
    if (data.length === 0) return;
    this.bytesIn += data.length;
    await this.#producer.write(data);
  }

  closeStdin(): void {
    if (!this.tty) this.#producer.closeStdin();
  }

  resize(columns: number, rows: number): void {
    this.#producer.resize(columns, rows);
  }

  /**
   * KILL_*: the signal to the session's command (through its init, which passes on the
   * usual ones); SIGKILL destroys the container, whatever left its process group with it.
   * False when it has no process left.
   */
  kill(signal: number): boolean {
    const c = this.container;
    if (this.#state.kind !== 'running' || !c) return false;
    if (signal !== 9) return c.kill(signal);
    void c.destroy();
    return true;
  }

  /** The connection is gone: Mesos destroys the container, so every process dies. */
  destroy(): void {
    if (this.#state.kind === 'terminated') return;
    void this.container?.destroy();
    // Unblock the reader in case something outside the container still holds the output open.
    this.#producer.resume();
  }
}
