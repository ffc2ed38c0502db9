// One task as GET /tasks lists it: what `exec` and `attach` resolve TASK with, and what
// `ps` shows (state, health, last check result, age, sandbox). Built from the executor's
// TaskView by pure functions; the JSON keys are stable snake_case.
import { describe } from '../containerizer/isolation.js';
import { ISOLATION_LABEL, type ExecutorSandbox, type TaskView } from '../contracts/task-view.js';
import type { mesos } from '../proto/codec.js';
import { describeCheckResult, type CheckHistoryEntry } from '../contracts/check-history.js';
import { virtualTaskPath } from './files/sandbox-paths.js';

export interface TaskEntry {
  task_id: string;
  container_id: mesos.ContainerID;
  /** A terminal is attached (TTY task, still running). */
  tty: boolean;
  terminated: boolean;
  /** TASK_* of the last status update, null before the first. */
  state: mesos.TaskState | null;
  /** TaskStatus.healthy of the last update: null when the task has no health result. */
  healthy: boolean | null;
  /** Short text of the last check or health result, null when there is none. */
  last_check: string | null;
  /** Seconds since the executor accepted the task, null when unknown. */
  age_seconds: number | null;
  /** The task's sandbox as a /files path, when the switchboard serves files. */
  sandbox_path: string | null;
  /** The isolation its container got (`namespaces,cgroups`, ..., `none`), null when unknown. */
  isolation: string | null;
  /** The last changes of check or health result, oldest first, times in ISO 8601. */
  check_history: Array<Omit<CheckHistoryEntry, 'since' | 'last'> & { since: string; last: string }>;
  /** TaskStatus.reason and .message of the last update: for a terminal one, why the task ended (a health kill, a limit, a kill call). */
  reason: string | null;
  message: string | null;
}

/** The label the executor put on the task's updates, else what its container says. */
function isolationOf(task: TaskView): string | null {
  const label = task.lastStatus?.labels?.labels?.find((l) => l.key === ISOLATION_LABEL)?.value;
  return label ?? (task.container ? describe(task.container.isolation) : null);
}

export function taskEntry(task: TaskView, nowMs: number, sandbox: ExecutorSandbox | undefined): TaskEntry {
  const status = task.lastStatus;
  return {
    task_id: task.taskId,
    container_id: task.containerId,
    tty: task.tty !== undefined,
    terminated: task.terminated,
    state: status?.state ?? null,
    healthy: status?.healthy ?? null,
    last_check: describeCheckResult(status),
    age_seconds: task.launchedAt === undefined ? null : Math.max(0, Math.floor((nowMs - task.launchedAt) / 1000)),
    sandbox_path: sandbox ? virtualTaskPath(sandbox, task.taskId) : null,
    isolation: isolationOf(task),
    check_history: (task.checkHistory ?? []).map((e) => ({ ...e, since: new Date(e.since).toISOString(), last: new Date(e.last).toISOString() })),
    reason: status?.reason ?? null,
    message: status?.message ?? null,
  };
}
