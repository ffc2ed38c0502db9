// What a task sees (executor-api.md §1 and §7.2 step 2): the executor's environment
// (minus secrets), then the variables Mesos' executors add, then CommandInfo.environment,
// highest precedence last. SECRET-typed variables are skipped as upstream does: resolving
// them needs the agent's secret resolver, which an executor does not have.
import path from 'node:path';
import { TaskInvalidError } from '../common/errors.js';
import type { mesos } from '../proto/codec.js';
import { DEFAULT_PATH } from '../process/command.js';

/**
 * The task's own sandbox, `<executor sandbox>/tasks/<task_id>`: tasks of one executor
 * must not overwrite each other's `stdout`/`stderr` files, and the task ID is the
 * operator's handle for finding them.
 */
export function taskSandbox(executorSandbox: string, taskId: string): string {
  if (taskId === '' || taskId === '.' || taskId === '..' || /[/\0]/.test(taskId)) {
    throw new TaskInvalidError(`task_id ${JSON.stringify(taskId)} cannot name a sandbox directory (empty, '.', '..', '/' or NUL)`);
  }
  return path.join(executorSandbox, 'tasks', taskId);
}

/** Role of the first resource's allocation_info, as the built-in executors set it. */
export function allocationRole(task: mesos.TaskInfo): string | undefined {
  for (const r of task.resources ?? []) if (r.allocation_info?.role !== undefined) return r.allocation_info.role;
  return undefined;
}

export function buildTaskEnvironment(options: {
  executorEnvironment: Record<string, string>;
  taskId: string;
  allocationRole: string | undefined;
  /** CommandInfo.environment as parsed (task-spec.ts), SECRET variables already left out. */
  variables: ReadonlyArray<{ name: string; value: string }>;
  sandbox: string;
  containerIp: string;
}): Record<string, string> {
  const env: Record<string, string> = { ...options.executorEnvironment };
  delete env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN;
  env.MESOS_SANDBOX = options.sandbox;
  env.MESOS_TASK_ID = options.taskId;
  env.MESOS_CONTAINER_IP = options.containerIp;
  if (options.allocationRole !== undefined) env.MESOS_ALLOCATION_ROLE = options.allocationRole;
  for (const v of options.variables) env[v.name] = v.value;
  if (!env.PATH) env.PATH = DEFAULT_PATH;
  return env;
}
