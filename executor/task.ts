// One task the executor runs: its TaskInfo, where and how it runs, and where it is in its
// life. The phase is a tagged union so that impossible combinations (a kill deadline for
// a task that never started, a pid after termination) cannot be represented.
import type { TimerHandle } from '../common/clock.js';
import type { mesos } from '../proto/codec.js';
import type { TaskCheckRunner } from '../contracts/checks.js';
import type { KillEscalation } from './kill-policy.js';
import type { LaunchedProcess } from './process-launcher.js';
import type { TaskView, TtyTap } from '../contracts/task-view.js';

export type TaskPhase =
  /** TASK_STARTING sent; the process is being spawned. */
  | { kind: 'starting'; pendingKill?: KillRequest }
  /** The process runs; TASK_RUNNING sent. */
  | { kind: 'running'; process: LaunchedProcess }
  /** SIGTERM sent to the group; SIGKILL follows at the escalation deadline. */
  | { kind: 'killing'; process: LaunchedProcess; escalation: KillEscalation; request: KillRequest }
  /** Terminal update sent; nothing more is ever sent for this task. */
  | { kind: 'terminated'; state: mesos.TaskState; waitStatus: number | undefined };

export type KillCause =
  | { kind: 'scheduler' }
  /** TaskInfo.max_completion_time ran out: TASK_FAILED, no TASK_KILLING, grace 0. */
  | { kind: 'max-completion' }
  | { kind: 'shutdown' }
  /** The task cannot be carried on (its TaskInfo cannot be encoded): TASK_FAILED, no TASK_KILLING. */
  | { kind: 'invalid'; message: string }
  /** The task's own health check reached consecutive_failures. */
  | { kind: 'health'; description: string }
  /** A sibling of the task group failed or was killed. */
  | { kind: 'group'; siblingId: string; siblingHealthKill: boolean };

export interface KillRequest {
  graceMs: number;
  cause: KillCause;
}

export class Task implements TaskView {
  readonly info: mesos.TaskInfo;
  readonly taskId: string;
  readonly containerId: mesos.ContainerID;
  readonly environment: Record<string, string>;
  readonly workingDirectory: string;
  readonly user?: string;
  /** Set for tasks that arrived in a LAUNCH_GROUP; siblings share it. */
  readonly groupId: number | undefined;
  phase: TaskPhase = { kind: 'starting' };
  checks: TaskCheckRunner | undefined;
  /** Fires the max_completion_time kill; cleared by any kill or the exit. */
  completionTimer: TimerHandle | undefined;
  /** The last update sent: health, check and readiness updates are copies of it. */
  lastStatus: mesos.TaskStatus | undefined;
  /** When the LAUNCH was accepted (ms since the epoch, the executor's clock). */
  readonly launchedAt: number;
  readonly exited: Promise<void>;
  #markExited!: () => void;

  constructor(options: {
    info: mesos.TaskInfo;
    containerId: mesos.ContainerID;
    environment: Record<string, string>;
    workingDirectory: string;
    user?: string;
    groupId?: number;
    launchedAt: number;
  }) {
    this.info = options.info;
    this.taskId = options.info.task_id.value;
    this.containerId = options.containerId;
    this.environment = options.environment;
    this.workingDirectory = options.workingDirectory;
    if (options.user !== undefined) this.user = options.user;
    this.groupId = options.groupId;
    this.launchedAt = options.launchedAt;
    this.exited = new Promise((resolve) => (this.#markExited = resolve));
  }

  get pid(): number | undefined {
    const p = this.phase;
    return p.kind === 'running' || p.kind === 'killing' ? p.process.pid : undefined;
  }

  get tty(): TtyTap | undefined {
    const p = this.phase;
    return p.kind === 'running' || p.kind === 'killing' ? p.process.tty : undefined;
  }

  get terminated(): boolean {
    return this.phase.kind === 'terminated';
  }

  get live(): boolean {
    return this.phase.kind !== 'terminated';
  }

  get waitStatus(): number | undefined {
    return this.phase.kind === 'terminated' ? this.phase.waitStatus : undefined;
  }

  terminate(state: mesos.TaskState, waitStatus: number | undefined): void {
    this.phase = { kind: 'terminated', state, waitStatus };
    this.#markExited();
  }
}
