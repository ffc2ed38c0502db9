// What Call.Subscribe carries after a disconnection (executor-api.md §8): every
// unacknowledged TaskInfo and update. One part that cannot be encoded must not take the
// whole SUBSCRIBE down with it (the executor would never get back to its agent), so each
// part is encoded alone first: an update that fails is sent in its minimal form (same
// UUID, state and task), one that still fails is left out, and a TaskInfo that fails is
// left out (the executor then ends that task). Decisions only; the executor logs and acts.
import { codecs, type executor, type mesos, type MessageContentType } from '../proto/codec.js';

export interface SubscribeParts {
  unacknowledgedTasks: mesos.TaskInfo[];
  unacknowledgedUpdates: mesos.TaskStatus[];
}

export interface SubscribeBuild {
  subscribe: executor.Call.Subscribe;
  /** TaskInfos left out because they cannot be encoded. */
  droppedTasks: Array<{ info: mesos.TaskInfo; error: Error }>;
  /** Updates carried in their minimal form because the full one cannot be encoded. */
  repairedUpdates: Array<{ original: mesos.TaskStatus; repaired: mesos.TaskStatus; error: Error }>;
  /** Updates left out: not even their minimal form can be encoded. */
  droppedUpdates: Array<{ status: mesos.TaskStatus; error: Error }>;
}

/** The fields the agent needs to record a state change, and nothing a sender added. */
export function minimalStatus(status: mesos.TaskStatus): mesos.TaskStatus {
  const minimal: mesos.TaskStatus = { task_id: status.task_id, state: status.state };
  for (const key of ['source', 'executor_id', 'agent_id', 'timestamp', 'uuid', 'message', 'reason', 'healthy'] as const) {
    if (status[key] !== undefined) (minimal as unknown as Record<string, unknown>)[key] = status[key];
  }
  if (status.container_status?.container_id) minimal.container_status = { container_id: status.container_status.container_id };
  return minimal;
}

function encodingError(encode: () => unknown): Error | undefined {
  try {
    encode();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** Whether the TaskInfo survives encoding in `contentType`; the error if not. */
export function taskInfoEncodingError(info: mesos.TaskInfo, contentType: MessageContentType): Error | undefined {
  return encodingError(() => codecs.mesos.TaskInfo.encode(info, contentType));
}

export function buildSubscribe(parts: SubscribeParts, contentType: MessageContentType): SubscribeBuild {
  const build: SubscribeBuild = { subscribe: {}, droppedTasks: [], repairedUpdates: [], droppedUpdates: [] };
  const tasks: mesos.TaskInfo[] = [];
  for (const info of parts.unacknowledgedTasks) {
    const error = taskInfoEncodingError(info, contentType);
    if (error) build.droppedTasks.push({ info, error });
    else tasks.push(info);
  }
  const updates: executor.Call.Update[] = [];
  for (const status of parts.unacknowledgedUpdates) {
    const error = encodingError(() => codecs.mesos.TaskStatus.encode(status, contentType));
    if (!error) {
      updates.push({ status });
      continue;
    }
    const repaired = minimalStatus(status);
    if (encodingError(() => codecs.mesos.TaskStatus.encode(repaired, contentType))) {
      build.droppedUpdates.push({ status, error });
      continue;
    }
    build.repairedUpdates.push({ original: status, repaired, error });
    updates.push({ status: repaired });
  }
  if (tasks.length) build.subscribe.unacknowledged_tasks = tasks;
  if (updates.length) build.subscribe.unacknowledged_updates = updates;
  return build;
}
