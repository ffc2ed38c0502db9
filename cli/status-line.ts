// One TaskStatus as one human-readable line, the way `mesos-sidecar run` prints updates:
//   12:00:01.250  web-server  TASK_RUNNING   healthy=true reason=REASON_TASK_HEALTH_CHECK_STATUS_UPDATED
//   12:00:05.100  web-server  TASK_FAILED    message="Command exited with status 3"
// Fields appear only when the update carries them, so the line shows what the scheduler
// would see and nothing the executor did not send.
import type { mesos } from '../proto/codec.js';

/** Longest state name an executor sends (TASK_FINISHED, TASK_STARTING). */
const STATE_WIDTH = 13;

export interface StatusLineOptions {
  /** The agent had already received this UUID: the executor resent it. */
  duplicate?: boolean;
  /** Pad the task id column to this width (the longest task id of the run). */
  taskWidth?: number;
  /** Label keys not worth printing on every update (e.g. the switchboard's URL). */
  hiddenLabels?: ReadonlySet<string>;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local wall-clock time with milliseconds, from TaskStatus.timestamp (seconds). */
export function formatTimestamp(seconds: number | undefined, fallback: Date = new Date()): string {
  const d = seconds === undefined ? fallback : new Date(seconds * 1000);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** "HTTP status_code=200", "COMMAND exit_code=1", "TCP succeeded=false", "HTTP pending". */
export function formatCheckStatus(check: mesos.CheckStatusInfo): string {
  const type = check.type ?? 'UNKNOWN';
  let result: string | undefined;
  if (check.command?.exit_code !== undefined) result = `exit_code=${check.command.exit_code}`;
  else if (check.http?.status_code !== undefined) result = `status_code=${check.http.status_code}`;
  else if (check.tcp?.succeeded !== undefined) result = `succeeded=${check.tcp.succeeded}`;
  // An empty sub-message is how Mesos says "no result yet" (spec checks.md).
  return `${type} ${result ?? 'pending'}`;
}

export function formatStatusLine(status: mesos.TaskStatus, options: StatusLineOptions = {}): string {
  const parts = [formatTimestamp(status.timestamp), status.task_id.value.padEnd(options.taskWidth ?? 0), status.state.padEnd(STATE_WIDTH)];
  const extra: string[] = [];
  if (status.healthy !== undefined) extra.push(`healthy=${status.healthy}`);
  if (status.reason !== undefined) extra.push(`reason=${status.reason}`);
  if (status.check_status !== undefined) extra.push(`check=${JSON.stringify(formatCheckStatus(status.check_status))}`);
  for (const label of status.labels?.labels ?? []) {
    if (options.hiddenLabels?.has(label.key)) continue;
    extra.push(`label:${label.key}=${JSON.stringify(label.value ?? '')}`);
  }
  if (status.message !== undefined && status.message !== '') extra.push(`message=${JSON.stringify(status.message)}`);
  if (options.duplicate) extra.push('(resent)');
  return [...parts, ...extra].join('  ').trimEnd();
}
