// Why the executor kills a task, and with how much grace: the kill's cause decides the
// terminal update (terminal-update.ts) and whether TASK_KILLING is sent.

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
  | { kind: 'group'; siblingId: string; siblingHealthKill: boolean }
  /** KILL_CONTAINER / KILL_NESTED_CONTAINER on the task's container, through the switchboard. */
  | { kind: 'switchboard'; principal: string };

export interface KillRequest {
  graceMs: number;
  cause: KillCause;
}

/** Both built-in executors skip TASK_KILLING for these: the task goes straight to TASK_FAILED. */
export function killSendsKilling(cause: KillCause): boolean {
  return cause.kind !== 'max-completion' && cause.kind !== 'invalid';
}
