// GET_CONTAINERS (`Http::getContainers`, `__containers` in src/slave/http.cpp): the live
// containers of this executor with their status and ResourceStatistics. [Decision] The
// switchboard speaks for one executor, so its task containers take the place of the
// agent's executor entries (always listed, with framework_id, executor_id and
// executor_name); their exec sessions are the nested containers, listed only with
// `show_nested` and without those fields. There are no standalone containers, so
// `show_standalone` adds nothing. As the agent does, an entry the principal may not see
// (ACL `GET_CONTAINERS` on the task, the agent's VIEW_CONTAINER) is left out, never refused,
// and an entry whose statistics cannot be read has no `resource_statistics`.
import type { ResourceStatistics } from '../../containerizer/statistics.js';
import type { ExecutorSandbox, TaskView } from '../../contracts/task-view.js';
import type { agent, mesos, MessageContentType } from '../../proto/codec.js';
import { authorized } from '../acl.js';
import type { AgentCall } from '../agent-call.js';
import type { ExecSession } from '../exec-session.js';
import { sendMessage, type CallContext, type SwitchboardState } from './context.js';

type Entry = agent.Response.GetContainers.Container;

/** The proto's shape: every `mem_*` field of ResourceStatistics is a uint64 (bigint in memory). */
export function statisticsMessage(s: ResourceStatistics): mesos.ResourceStatistics {
  const out: Record<string, number | bigint> = {};
  for (const [key, value] of Object.entries(s) as Array<[string, number | undefined]>) {
    if (value === undefined) continue;
    out[key] = key.startsWith('mem_') ? BigInt(Math.max(0, Math.trunc(value))) : value;
  }
  return out as unknown as mesos.ResourceStatistics;
}

/** Without `parent`: the chain is in container_status (`evolve` drops it from the entry). */
const valueOnly = (id: mesos.ContainerID): mesos.ContainerID => ({ value: id.value });

function status(id: mesos.ContainerID, pid: number | undefined): mesos.ContainerStatus {
  return { container_id: id, ...(pid === undefined ? {} : { executor_pid: pid }) };
}

function taskEntry(task: TaskView, sandbox: ExecutorSandbox | undefined, onStatsError: (err: unknown) => void): Entry {
  let statistics: mesos.ResourceStatistics | undefined;
  try {
    if (task.container) statistics = statisticsMessage(task.container.stats());
  } catch (err) {
    onStatsError(err);
  }
  return {
    ...(sandbox ? { framework_id: { value: sandbox.frameworkId }, executor_id: { value: sandbox.executorId } } : {}),
    ...(sandbox?.executorName !== undefined ? { executor_name: sandbox.executorName } : {}),
    container_id: valueOnly(task.containerId),
    container_status: status(task.containerId, task.container?.pid ?? task.pid),
    ...(statistics ? { resource_statistics: statistics } : {}),
  };
}

function sessionEntry(session: ExecSession): Entry {
  return { container_id: valueOnly(session.containerId), container_status: status(session.containerId, session.pid) };
}

export function getContainers(state: SwitchboardState, ctx: CallContext, call: Extract<AgentCall, { type: 'get-containers' }>): void {
  const { registry } = state.containers;
  const sandbox = registry.sandbox?.();
  const visible = (taskId: string): boolean => authorized(state.acl, ctx.principal, call.name, taskId);
  const containers: Entry[] = [];
  for (const task of registry.tasks()) {
    if (task.terminated || !visible(task.taskId)) continue;
    containers.push(taskEntry(task, sandbox, (err) => state.logger.warn({ err, task_id: task.taskId }, 'failed to get resource statistics')));
  }
  if (call.showNested) {
    for (const session of state.containers.sessions()) if (visible(session.taskId)) containers.push(sessionEntry(session));
  }
  // The server refuses a streaming Accept for this call, so accept is JSON or protobuf.
  sendMessage(ctx.res, ctx.types.accept as MessageContentType, { type: 'GET_CONTAINERS', get_containers: { containers } });
}
