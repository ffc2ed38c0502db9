// What the executor exposes about its tasks to the IO switchboard (switchboard/).
import type { mesos } from '../proto/codec.js';
import type { CheckHistoryEntry } from './check-history.js';
import type { Container } from '../containerizer/containerizer.js';

/** Task label (on every status update of a launched task): the isolation its container got, `describe()` of containerizer/isolation.ts. */
export const ISOLATION_LABEL = 'mesos-sidecar.isolation';

/** Live access to the terminal of a task launched with ContainerInfo.tty_info. */
export interface TtyTap {
  /** Live output only (no replay). Returns a function that removes the listener. */
  onData(listener: (chunk: Buffer) => void): () => void;
  /** Called once when the terminal's output has ended (the task exited). */
  onEnd(listener: () => void): () => void;
  /** Resolves once the terminal took the bytes (input backpressure); dropped after the end. */
  write(data: Buffer | string): Promise<void>;
  resize(columns: number, rows: number): void;
  /** The last output, at most `maxBytes` (and at most what the tap keeps), for attach with a tail. */
  recentOutput?(maxBytes: number): Buffer;
}

export interface TaskView {
  taskId: string;
  /** {value: <uuid>, parent: <executor container from SUBSCRIBED>} */
  containerId: mesos.ContainerID;
  environment: Record<string, string>;
  workingDirectory: string;
  user?: string | undefined;
  /** The task container's init (the command's process group leader without isolation) while it runs. */
  pid?: number | undefined;
  /**
   * The task's container while it runs (containerizer/): exec sessions and COMMAND checks
   * are launched nested in it (`parent`), and its stats() feed GET_CONTAINERS and `ps`.
   */
  readonly container?: Container | undefined;
  tty?: TtyTap | undefined;
  /** Raw wait(2) status once terminated (undefined while running or when unknown). */
  readonly terminated: boolean;
  readonly waitStatus: number | undefined;
  /** Resolves when the task's process has been reaped. */
  readonly exited: Promise<void>;
  /** The last status update sent for the task (state, health, check result), for `ps`. */
  readonly lastStatus?: mesos.TaskStatus | undefined;
  /** The last changes of its check or health result, oldest first (bounded, contracts/check-history.ts). */
  readonly checkHistory?: readonly CheckHistoryEntry[] | undefined;
  /** When the executor accepted the task, in ms since the epoch (its clock), for `ps`. */
  readonly launchedAt?: number | undefined;
}

/** The executor's sandbox and the ids that name it in the agent's virtual file paths. */
export interface ExecutorSandbox {
  frameworkId: string;
  executorId: string;
  /** ExecutorInfo.name from SUBSCRIBED, when it has one (GET_CONTAINERS' executor_name). */
  executorName?: string | undefined;
  /** The sandbox directory (MESOS_SANDBOX); task sandboxes are `tasks/<task_id>` in it. */
  directory: string;
}

/**
 * KILL_CONTAINER / KILL_NESTED_CONTAINER on a task's container: the executor kills the
 * task itself, so its kill policy applies and the terminal update names the cause.
 */
export interface SwitchboardKill {
  /** The signal the call asked for; SIGKILL (9) skips the grace period, any other starts with SIGTERM. */
  signal: number;
  /** Who asked, for the log and the terminal update's message. */
  principal: string;
}

/** Health kills of a task held while someone debugs it (`exec --hold-checks`). */
export interface HealthKillHold {
  /** Who holds them, for the status update's message and the log. */
  principal: string;
  /** When the hold ends at the latest, in ms since the epoch (the executor's clock). */
  untilMs: number;
}

/** Status label with the end of a hold (ISO 8601) on the task's updates while it lasts. */
export const HEALTH_KILL_HOLD_LABEL = 'mesos-sidecar.health-kills.held-until';

export interface TaskRegistry {
  /** The executor's own container (SUBSCRIBED.container_id), once subscribed. */
  executorContainerId(): mesos.ContainerID | undefined;
  /** Tasks by the `value` of their nested container ID. */
  taskByContainerId(value: string): TaskView | undefined;
  tasks(): Iterable<TaskView>;
  /** Kills a task at the switchboard's request; false when the task is unknown or already terminated. */
  killTask(taskId: string, request: SwitchboardKill): boolean;
  /**
   * Holds the task's health kills until `hold.untilMs` or until the returned release is
   * called, whichever comes first; its checks keep running and reporting. undefined when
   * the task is unknown or already terminated.
   */
  holdHealthKills?(taskId: string, hold: HealthKillHold): (() => void) | undefined;
  /** The sandbox the switchboard's /files API serves; without it /files answers 404. */
  sandbox?(): ExecutorSandbox;
}
