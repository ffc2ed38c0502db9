// One LAUNCH_NESTED_CONTAINER_SESSION: a command run with its task's environment,
// directory and user, in its own process group, under a PTY or with three pipes.
// Mesos destroys the whole container when the session ends; we kill the group.
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Clock } from '../common/clock.js';
import { drainedOrClosed } from '../common/drained.js';
import type { Logger } from '../common/logger.js';
import { rawWaitStatus, signalGroup } from '../common/process.js';
import type { mesos } from '../proto/codec.js';
import type { TaskView } from '../contracts/task-view.js';
import type { AttachTarget, OutputListener, OutputStream, RecentOutput } from './attach-target.js';
import { DEFAULT_OUTPUT_TAIL_BYTES, OutputRing } from '../process/output-ring.js';
import { containerIdText } from './container-id.js';
import { badRequest, internalError } from './errors.js';
import { CommandValueMissingError, DEFAULT_PATH, commandArgv, locateExecutable, type Argv, type ExecutableMissing } from '../process/command.js';
import { OUTPUT_DRAIN_LIMIT_MS, spawnTerminal, type Terminal } from '../process/terminal.js';
import { runAs } from '../process/user.js';

export interface Termination {
  /** Raw wait(2) status; undefined when unknown. */
  exitStatus?: number | undefined;
}

type SessionState =
  | { kind: 'running' }
  // Main process gone, rest of the group killed, output still being read to the end.
  | { kind: 'draining'; termination: Termination }
  | { kind: 'terminated'; termination: Termination };

interface Producer {
  readonly pid: number | undefined;
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
  inputAttached = false;
  bytesIn = 0;
  bytesOut = 0;
  readonly #logger: Logger;
  readonly #listeners = new Set<OutputListener>();
  readonly #endListeners = new Set<() => void>();
  readonly #producer: Producer;
  #state: SessionState = { kind: 'running' };
  #pauses = 0;
  readonly terminated: Promise<Termination>;
  #resolveTerminated!: (t: Termination) => void;

  readonly #clock: Clock;
  readonly #recent: OutputRing<OutputStream>;

  constructor(launch: SessionLaunch) {
    this.#clock = launch.clock;
    this.#recent = new OutputRing(launch.recentOutputBytes ?? DEFAULT_OUTPUT_TAIL_BYTES);
    const now = launch.clock.now();
    this.containerId = launch.containerId;
    this.containerText = containerIdText(launch.containerId);
    this.taskId = launch.task.taskId;
    this.tty = launch.ttyInfo !== undefined;
    this.command = launch.command;
    this.user = launch.command.user ?? taskUser(launch.task);
    this.startedAt = now;
    this.#logger = launch.logger;
    this.terminated = new Promise((resolve) => (this.#resolveTerminated = resolve));

    const { file, args, argv0 } = sessionArgv(launch.command);
    const env = sessionEnvironment(launch.task, launch.command, this.tty);
    const cwd = launch.task.workingDirectory;
    try {
      if (!statSync(cwd).isDirectory()) throw new Error('not a directory');
    } catch (err) {
      throw badRequest(`Failed to launch: working directory '${cwd}' is unusable: ${(err as Error).message}`);
    }
    const executable = locateExecutable(file, env.PATH, cwd);
    let user: { uid?: number; gid?: number };
    try {
      // As for the task itself: a shell as another user gets that user's HOME and USER.
      user = runAs(this.user, env);
      if (user.uid === undefined && !env.HOME) {
        // Mesos gives executors no HOME; a login-ish shell then reads `$HOME/...` as `/...`
        // (bash: /.cargo/env: No such file). docker exec fills it in from the user; so do we.
        env.HOME = userInfo().homedir;
      }
    } catch (err) {
      throw badRequest(`Failed to launch: ${(err as Error).message}`);
    }
    if (!('path' in executable)) this.#producer = this.#failedExec(execFailure(file, executable));
    else if (this.tty) this.#producer = this.#spawnPty(executable.path, args, env, cwd, user, launch.ttyInfo!);
    else this.#producer = this.#spawnPipes(executable.path, args, argv0, env, cwd, user);
  }

  /** Undefined for a command that could not be executed (no process was started). */
  get pid(): number | undefined {
    return this.#producer.pid;
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
   * CLI's exit code agree (127 or 126, as with docker exec). The output is emitted on a
   * microtask, once the caller has subscribed to it in the same turn.
   */
  #failedExec(failure: ExecFailure): Producer {
    this.#logger.info({ exitCode: failure.exitCode }, failure.message);
    queueMicrotask(() => {
      this.#emit(this.tty ? 'STDOUT' : 'STDERR', Buffer.from(`${failure.message}${this.tty ? '\r\n' : '\n'}`));
      this.#mainExited({ exitStatus: rawWaitStatus(failure.exitCode, null) });
      this.#finish();
    });
    const nothing = () => {};
    return { pid: undefined, write: async () => {}, closeStdin: nothing, resize: nothing, pause: nothing, resume: nothing };
  }

  #spawnPty(file: string, args: string[], env: Record<string, string>, cwd: string, user: { uid?: number; gid?: number }, ttyInfo: mesos.TTYInfo): Producer {
    const size = ttyInfo.window_size;
    const usable = size && size.columns > 0 && size.rows > 0;
    let term: Terminal;
    try {
      term = spawnTerminal({
        file, args, env, cwd, name: env.TERM ?? 'xterm', clock: this.#clock,
        columns: usable ? size.columns : 80, rows: usable ? size.rows : 24, ...user,
      });
    } catch (err) {
      throw internalError(`Failed to launch the session under a PTY: ${(err as Error).message}`);
    }
    term.onData((data) => this.#emit('STDOUT', data));
    term.onExit(({ waitStatus }) => {
      this.#mainExited({ exitStatus: waitStatus });
      this.#finish();
    });
    return {
      pid: term.pid,
      write: (data) => term.write(data),
      closeStdin: () => {},
      // A 0 × 0 size (the upstream CLI sends one first, to force a redraw) cannot be set
      // through node-pty; the real size follows right after it.
      resize: (columns, rows) => term.resize(columns, rows),
      pause: () => term.pause(),
      resume: () => term.resume(),
    };
  }

  #spawnPipes(file: string, args: string[], argv0: string, env: Record<string, string>, cwd: string, user: { uid?: number; gid?: number }): Producer {
    let child: ChildProcess;
    try {
      child = spawn(file, args, { argv0, cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'], ...user });
    } catch (err) {
      throw badRequest(`Failed to launch: ${(err as Error).message}`);
    }
    if (child.pid === undefined) throw badRequest(`Failed to launch '${file}'`);
    const pid = child.pid;
    child.on('error', (err) => this.#logger.warn({ err }, 'session process error'));
    // EPIPE after the process is gone is expected: input that nobody reads any more.
    child.stdin!.on('error', (err) => this.#logger.debug({ err }, 'session stdin error'));
    child.stdout!.on('data', (c: Buffer) => this.#emit('STDOUT', c));
    child.stderr!.on('data', (c: Buffer) => this.#emit('STDERR', c));
    child.on('exit', (code, signal) => this.#mainExited({ exitStatus: rawWaitStatus(code, signal) }));
    child.on('exit', () => {
      const limit = this.#clock.setTimeout(() => {
        this.#logger.warn('session output still open after its process group was killed (a process left the group?); closing it');
        child.stdout!.destroy();
        child.stderr!.destroy();
      }, OUTPUT_DRAIN_LIMIT_MS);
      child.once('close', () => this.#clock.clearTimeout(limit));
    });
    child.on('close', () => this.#finish());
    return {
      pid,
      write: async (data) => {
        const stdin = child.stdin!;
        if (stdin.writableEnded || stdin.destroyed) throw new Error('stdin is closed');
        if (!stdin.write(data)) await drainedOrClosed(stdin);
      },
      closeStdin: () => child.stdin!.end(),
      resize: () => {},
      pause: () => {
        child.stdout!.pause();
        child.stderr!.pause();
      },
      resume: () => {
        child.stdout!.resume();
        child.stderr!.resume();
      },
    };
  }

  #emit(stream: OutputStream, chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.bytesOut += chunk.length;
    this.#recent.push(chunk, stream);
    for (const listener of this.#listeners) listener(stream, chunk);
  }

  #mainExited(termination: Termination): void {
    if (this.#state.kind !== 'running') return;
    this.#state = { kind: 'draining', termination };
    // Like Mesos destroying the container: nothing of the session outlives its main process.
    if (this.pid !== undefined) signalGroup(this.pid, 'SIGKILL');
    this.#logger.debug({ exitStatus: termination.exitStatus }, 'session main process exited');
  }

  #finish(): void {
    if (this.#state.kind !== 'draining') return;
    const termination = this.#state.termination;
    this.#state = { kind: 'terminated', termination };
    for (const listener of this.#endListeners) listener();
    this.#endListeners.clear();
    this.#listeners.clear();
    this.#resolveTerminated(termination);
  }

  onOutput(listener: OutputListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
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

  /** KILL_*: signal the whole group; false when it has no process left. */
  kill(signal: number): boolean {
    if (this.#state.kind !== 'running' || this.pid === undefined) return false;
    return signalGroup(this.pid, signal);
  }

  /** The connection is gone: Mesos destroys the container, so every process dies. */
  destroy(): void {
    if (this.#state.kind === 'terminated') return;
    // While draining the group was already killed; the leader pid may be reused by now.
    if (this.#state.kind === 'running' && this.pid !== undefined) signalGroup(this.pid, 'SIGKILL');
    // Unblock the reader in case something outside the group still holds the output open.
    this.#producer.resume();
  }
}
