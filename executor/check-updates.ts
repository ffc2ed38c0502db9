// Status updates caused by checks (checks.md §7): each is a copy of the last status sent
// for the task, with a new uuid and timestamp and only the checked field changed, so a
// health update still carries the last check result and a check update the last health.
import type { Clock } from '../common/clock.js';
import type { executor, mesos } from '../proto/codec.js';
import { READINESS_CHECK_LABEL } from '../checks/definitions.js';
import type { HealthReport } from '../contracts/checks.js';
import { copyTaskStatus } from './status-updates.js';

/** A task declares checks: a health check, a general check, or a readiness check label. */
export function taskNeedsChecks(task: mesos.TaskInfo): boolean {
  return task.health_check !== undefined || task.check !== undefined || (task.labels?.labels ?? []).some((l) => l.key === READINESS_CHECK_LABEL);
}

/** A LAUNCH or LAUNCH_GROUP with at least one task that declares checks. */
export function launchNeedsChecks(event: executor.Event): boolean {
  if (event.type === 'LAUNCH') return event.launch !== undefined && taskNeedsChecks(event.launch.task);
  if (event.type === 'LAUNCH_GROUP') return (event.launch_group?.task_group.tasks ?? []).some(taskNeedsChecks);
  return false;
}

/**
 * "No result yet": the check's type with an empty sub-message. Upstream puts exactly this
 * (not the last result) into every update it builds from scratch, terminal ones included.
 */
export function emptyCheckStatus(check: mesos.CheckInfo): mesos.CheckStatusInfo | undefined {
  switch (check.type) {
    case 'COMMAND':
      return { type: 'COMMAND', command: {} };
    case 'HTTP':
      return { type: 'HTTP', http: {} };
    case 'TCP':
      return { type: 'TCP', tcp: {} };
    default:
      return undefined;
  }
}

export function healthUpdate(last: mesos.TaskStatus, report: HealthReport, clock: Clock): mesos.TaskStatus {
  const status = copyTaskStatus(last, clock);
  status.reason = 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED';
  status.healthy = report.healthy;
  status.message = report.message;
  return status;
}

export function checkUpdate(last: mesos.TaskStatus, checkStatus: mesos.CheckStatusInfo, message: string, clock: Clock): mesos.TaskStatus {
  const status = copyTaskStatus(last, clock);
  status.reason = 'REASON_TASK_CHECK_STATUS_UPDATED';
  status.check_status = checkStatus;
  status.message = message;
  return status;
}

/** Readiness has no reason of its own (28/29 stay for checks and health): labels carry it. */
export function readinessUpdate(last: mesos.TaskStatus, labels: mesos.Label[], message: string, clock: Clock): mesos.TaskStatus {
  const status = copyTaskStatus(last, clock);
  const merged = new Map((status.labels?.labels ?? []).map((l) => [l.key, l] as const));
  for (const l of labels) merged.set(l.key, l);
  status.labels = { labels: [...merged.values()] };
  status.message = message;
  return status;
}
