// One task the executor runs and where it is in its life. The phase is a tagged union
// moved only by the methods below, which refuse illegal moves with a TaskTransitionError:
// a terminated task cannot be started or killed, and it cannot terminate twice, so a
// second terminal update cannot be produced. The effects (signals, updates, timers) stay
// with the executor; this file only says which moves exist.
import type { TimerHandle } from '../common/clock.js';
import type { CheckHistoryEntry } from '../contracts/check-history.js';
import { SidecarError } from '../common/errors.js';
import type { mesos } from '../proto/codec.js';
import type { TaskCheckRunner } from '../contracts/checks.js';
import type { TaskView, TtyTap } from '../contracts/task-view.js';
import type { Container } from '../containerizer/containerizer.js';
import type { KillRequest } from './kill-cause.js';
import type { KillEscalation } from './kill-policy.js';
import type { LaunchedProcess } from './process-launcher.js';
import type { TaskIdentity, TaskSpec } from './task-spec.js';

export type TaskPhase =
  /** TASK_STARTING sent; the process is being spawned. A kill waits for it. */
  | { kind: 'starting'; spec: TaskSpec; pendingKill: KillRequest | undefined }
  /** The process runs; TASK_RUNNING sent. */
  | { kind: 'running'; spec: TaskSpec; process: LaunchedProcess }
  /** SIGTERM sent to the command; its container is destroyed at the escalation deadline. */
  | { kind: 'killing'; spec: TaskSpec; process: LaunchedProcess; escalation: KillEscalation; request: KillRequest }
  /** Terminal update sent; nothing more is ever sent for this task. */
  | { kind: 'terminated'; state: mesos.TaskState; waitStatus: number | undefined };

export type TaskAction = 'start' | 'defer-kill' | 'kill' | 'shorten-kill' | 'terminate';

/** A move the task's phase does not allow: a bug in the caller, never the agent's input. */
export class TaskTransitionError extends SidecarError {
  readonly code = 'E_TASK_TRANSITION';
  constructor(
    readonly taskId: string,
    readonly from: TaskPhase['kind'],
    readonly action: TaskAction,
  ) {
    super(`task '${taskId}': cannot ${action} a task that is ${from}`);
  }
}

export class Task implements TaskView {
  readonly taskId: string;
  /** Opaque, for SUBSCRIBE's unacknowledged_tasks and the checks engine. */
  readonly info: mesos.TaskInfo;
  readonly checkStatus: mesos.CheckStatusInfo | undefined;
  readonly containerId: mesos.ContainerID;
  readonly environment: Record<string, string>;
  readonly workingDirectory: string;
  readonly user?: string;
  /** Set for tasks that arrived in a LAUNCH_GROUP; siblings share it. */
  readonly groupId: number | undefined;
  #phase: TaskPhase;
  checks: TaskCheckRunner | undefined;
  /** Fires the max_completion_time kill; cleared by any kill or the exit. */
  completionTimer: TimerHandle | undefined;
  /** The last update sent: health, check and readiness updates are copies of it. */
  lastStatus: mesos.TaskStatus | undefined;
  /** The last changes of check and health result (contracts/check-history.ts). */
  readonly checkHistory: CheckHistoryEntry[] = [];
  /** When the LAUNCH was accepted (ms since the epoch, the executor's clock). */
  readonly launchedAt: number;
  readonly exited: Promise<void>;
  #markExited!: () => void;

  /** A task to start (`spec`), or one refused at the edge, terminated from the outset (`refused`). */
  constructor(
    options: {
      identity: TaskIdentity;
      containerId: mesos.ContainerID;
      environment: Record<string, string>;
      workingDirectory: string;
      user?: string | undefined;
      groupId?: number | undefined;
      launchedAt: number;
    } & ({ spec: TaskSpec } | { refused: mesos.TaskState }),
  ) {
    this.taskId = options.identity.taskId;
    this.info = options.identity.info;
    this.checkStatus = options.identity.checkStatus;
    this.containerId = options.containerId;
    this.environment = options.environment;
    this.workingDirectory = options.workingDirectory;
    if (options.user !== undefined) this.user = options.user;
    this.groupId = options.groupId;
    this.launchedAt = options.launchedAt;
    this.exited = new Promise((resolve) => (this.#markExited = resolve));
    if ('spec' in options) {
      this.#phase = { kind: 'starting', spec: options.spec, pendingKill: undefined };
    } else {
      this.#phase = { kind: 'terminated', state: options.refused, waitStatus: undefined };
      this.#markExited();
    }
  }

  get phase(): Readonly<TaskPhase> {
    return this.#phase;
  }

  /** The parsed TaskInfo while the task is live; undefined once it terminated. */
  get spec(): TaskSpec | undefined {
    return this.#phase.kind === 'terminated' ? undefined : this.#phase.spec;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** The launched task while it runs (its container's handle). */
  get process(): LaunchedProcess | undefined {
    const p = this.#phase;
    return p.kind === 'running' || p.kind === 'killing' ? p.process : undefined;
  }

  get container(): Container | undefined {
    return this.process?.container;
  }

  get tty(): TtyTap | undefined {
    return this.process?.tty;
  }

  get terminated(): boolean {
    return this.#phase.kind === 'terminated';
  }

  get live(): boolean {
    return this.#phase.kind !== 'terminated';
  }

  get waitStatus(): number | undefined {
    return this.#phase.kind === 'terminated' ? this.#phase.waitStatus : undefined;
  }

  /** starting → running; returns the kill that arrived while the process was spawned. */
  start(process: LaunchedProcess): KillRequest | undefined {
    const p = this.#phase;
    if (p.kind !== 'starting') throw new TaskTransitionError(this.taskId, p.kind, 'start');
    this.#phase = { kind: 'running', spec: p.spec, process };
    return p.pendingKill;
  }

  /** A kill before the process exists is applied once it does; of several, the shortest grace wins. */
  deferKill(request: KillRequest): void {
    const p = this.#phase;
    if (p.kind !== 'starting') throw new TaskTransitionError(this.taskId, p.kind, 'defer-kill');
    if (!p.pendingKill || request.graceMs < p.pendingKill.graceMs) p.pendingKill = request;
  }

  /** running → killing, once SIGTERM went out; the first kill's cause is the one reported. */
  kill(escalation: KillEscalation, request: KillRequest): void {
    const p = this.#phase;
    if (p.kind !== 'running') throw new TaskTransitionError(this.taskId, p.kind, 'kill');
    this.#phase = { kind: 'killing', spec: p.spec, process: p.process, escalation, request };
  }

  /** A repeated kill: may only bring SIGKILL forward (kill-policy.ts). Returns true if it did. */
  shortenKill(graceMs: number): boolean {
    const p = this.#phase;
    if (p.kind !== 'killing') throw new TaskTransitionError(this.taskId, p.kind, 'shorten-kill');
    return p.escalation.shorten(graceMs);
  }

  /** Any live phase → terminated, exactly once: the guard against a second terminal update. */
  terminate(state: mesos.TaskState, waitStatus: number | undefined): void {
    const p = this.#phase;
    if (p.kind === 'terminated') throw new TaskTransitionError(this.taskId, p.kind, 'terminate');
    if (p.kind === 'killing') p.escalation.cancel();
    this.#phase = { kind: 'terminated', state, waitStatus };
    this.#markExited();
  }
}
