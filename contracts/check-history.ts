// The recent check and health results of a task, as the executor keeps them for GET /tasks
// and the task page: runs of the same result collapse into one entry with a count, so a
// steady task costs one entry however long it runs, and only changes use up the bound.
import type { mesos } from '../proto/codec.js';

/** Entries kept per task: the last changes of result. */
export const CHECK_HISTORY_LENGTH = 10;

export interface CheckHistoryEntry {
  /** `exit 0`, `http 200`, `tcp ok`, or the health update's message; null when the update said nothing more. */
  result: string | null;
  /** TaskStatus.healthy of these updates, null when they carry none (a check, not a health check). */
  healthy: boolean | null;
  /** The first and the last update of this run, ms since the epoch (the executor's clock). */
  since: number;
  last: number;
  /** Updates in this run. */
  count: number;
}

const MAX_CHECK_TEXT = 60;

/** `exit 0`, `http 200`, `tcp ok` from a check result, else the health update's message. */
export function describeCheckResult(status: mesos.TaskStatus | undefined): string | null {
  if (!status) return null;
  const check = status.check_status;
  if (check?.command?.exit_code !== undefined) return `exit ${check.command.exit_code}`;
  if (check?.http?.status_code !== undefined) return `http ${check.http.status_code}`;
  if (check?.tcp?.succeeded !== undefined) return `tcp ${check.tcp.succeeded ? 'ok' : 'failed'}`;
  if (status.healthy !== undefined && status.message) {
    return status.message.length > MAX_CHECK_TEXT ? `${status.message.slice(0, MAX_CHECK_TEXT - 1)}…` : status.message;
  }
  return null;
}

/** True for the updates that report a check or health result (CHECK_STATUS_UPDATED / TASK_HEALTH_CHECK_STATUS_UPDATED). */
export function reportsCheck(status: mesos.TaskStatus): boolean {
  return status.reason === 'REASON_TASK_CHECK_STATUS_UPDATED' || status.reason === 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED';
}

/** `history` with `status` recorded (in place; returns it): a new entry only when the result changed. */
export function recordCheck(history: CheckHistoryEntry[], status: mesos.TaskStatus, at: number): CheckHistoryEntry[] {
  const result = describeCheckResult(status);
  const healthy = status.healthy ?? null;
  const last = history[history.length - 1];
  if (last && last.result === result && last.healthy === healthy) {
    last.last = at;
    last.count += 1;
    return history;
  }
  history.push({ result, healthy, since: at, last: at, count: 1 });
  if (history.length > CHECK_HISTORY_LENGTH) history.splice(0, history.length - CHECK_HISTORY_LENGTH);
  return history;
}
