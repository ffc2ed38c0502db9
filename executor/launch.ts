// From an accepted TaskInfo to a Task (executor-api.md §7.2 steps 1–2): parse it, give it a
// sandbox, a nested container ID and its environment. Decides only; the executor registers
// the result and sends the update it implies.
import type { mesos } from '../proto/codec.js';
import { Task } from './task.js';
import { parseTaskSpec, type TaskSpec, type TaskSpecOptions } from './task-spec.js';
import { buildTaskEnvironment, taskSandbox } from './task-environment.js';

export interface LaunchContext extends TaskSpecOptions {
  /** The executor's sandbox; each task gets `tasks/<task_id>` in it. */
  executorSandbox: string;
  /** The executor's environment, the base of every task's. */
  executorEnvironment: Record<string, string>;
  /** SUBSCRIBED.container_id once known: the parent of every task's container ID. */
  executorContainerId: mesos.ContainerID | undefined;
  /** A fresh nested container ID value (a UUID in production). */
  newContainerId(): string;
  now(): number;
}

export type PreparedTask =
  /** Parsed and placed: send TASK_STARTING and start it. */
  | { kind: 'ready'; task: Task; spec: TaskSpec }
  /** Refused at the edge: kept (SUBSCRIBE resends it until acknowledged), already terminated. */
  | { kind: 'refused'; task: Task; field: string; state: mesos.TaskState; message: string }
  /** Its task_id cannot name a sandbox directory: no Task at all, only a TASK_ERROR. */
  | { kind: 'no-sandbox'; message: string };

export function prepareTask(info: mesos.TaskInfo, groupId: number | undefined, context: LaunchContext): PreparedTask {
  const taskId = info.task_id.value;
  const parsed = parseTaskSpec(info, context);
  let sandbox: string;
  try {
    sandbox = taskSandbox(context.executorSandbox, taskId);
  } catch (err) {
    return { kind: 'no-sandbox', message: (err as Error).message };
  }
  const containerId: mesos.ContainerID = { value: context.newContainerId() };
  if (context.executorContainerId) containerId.parent = context.executorContainerId;
  const spec = parsed.ok ? parsed.spec : undefined;
  const task = new Task({
    identity: parsed.ok ? parsed.spec : parsed.identity,
    containerId,
    environment: buildTaskEnvironment({
      executorEnvironment: context.executorEnvironment,
      taskId,
      allocationRole: spec?.allocationRole,
      variables: spec?.environment ?? [],
      sandbox,
      containerIp: '127.0.0.1',
    }),
    workingDirectory: sandbox,
    user: spec?.user,
    groupId,
    launchedAt: context.now(),
    ...(parsed.ok ? { spec: parsed.spec } : { refused: parsed.error.state }),
  });
  if (parsed.ok) return { kind: 'ready', task, spec: parsed.spec };
  return { kind: 'refused', task, field: parsed.error.field, state: parsed.error.state, message: parsed.error.message };
}
