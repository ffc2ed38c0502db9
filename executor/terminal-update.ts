// The one terminal update of a task, decided from how it ended: exit status × kill cause ×
// group policy × container limitation → state, reason, message, healthy, limitation. Pure,
// so that every row the built-in executors have (src/launcher/executor.cpp `reaped`,
// src/launcher/default_executor.cpp `waited`) is a line of a table test.
import { describeTermination } from '../common/process.js';
import type { mesos } from '../proto/codec.js';
import type { ContainerLimitation } from '../containerizer/memory-limitation.js';
import type { KillCause } from './kill-cause.js';

export type TerminalTaskState = 'TASK_FINISHED' | 'TASK_FAILED' | 'TASK_KILLED' | 'TASK_ERROR';

export type TaskOutcome =
  /** The process was reaped. `exit` has neither code nor signal when its status is unknown. */
  | {
      kind: 'exited';
      exit: { code: number | null; signal: NodeJS.Signals | number | null };
      /** Set when the executor killed the task; the first kill's cause wins. */
      killCause: KillCause | undefined;
      /** A task of the same group was killed by its health check (checks.md §8 [Decision]). */
      groupUnhealthy: boolean;
      /** The container was destroyed for exceeding a limit (containers.md §3). */
      limitation?: ContainerLimitation | undefined;
      /** The command never ran: the container init's words. */
      launchFailure?: string | undefined;
    }
  /** The process could not be started; `invalid` when the TaskInfo itself was at fault. */
  | { kind: 'launch-failed'; message: string; invalid: boolean };

export interface TerminalUpdate {
  state: TerminalTaskState;
  message: string;
  reason?: mesos.TaskStatus.Reason;
  /** Only `false`, and only after a health-check kill (upstream sets no reason for it). */
  healthy?: false;
  /** TaskStatus.limitation: the resources whose limit the task exceeded. */
  limitation?: mesos.TaskResourceLimitation;
}

export function decideTerminalUpdate(outcome: TaskOutcome): TerminalUpdate {
  if (outcome.kind === 'launch-failed') {
    return { state: 'TASK_FAILED', message: outcome.message, ...(outcome.invalid ? { reason: 'REASON_TASK_INVALID' as const } : {}) };
  }
  const { exit, killCause: cause } = outcome;
  // The init could not start the command: nothing ran, whatever killed the container since.
  if (outcome.launchFailure !== undefined) return { state: 'TASK_FAILED', message: `Failed to launch container: ${outcome.launchFailure}` };
  const statusKnown = exit.code !== null || exit.signal !== null;
  // The default executor's wording; the command executor says "Failed to get exit status".
  const termination = statusKnown ? `Command ${describeTermination(exit.code, exit.signal)}` : 'Command terminated with unknown status';
  const limitation = outcome.limitation;
  if (limitation) {
    // The default executor prefers the agent's state and reason over its own (a kill in
    // progress included) and appends the limitation's message (`waited`, containers.md §3).
    return {
      state: 'TASK_FAILED', reason: limitation.reason, message: `${termination}: ${limitation.message}`,
      limitation: { resources: limitation.resources },
    };
  }
  if (cause === undefined) {
    return { state: statusKnown && exit.code === 0 ? 'TASK_FINISHED' : 'TASK_FAILED', message: termination };
  }
  switch (cause.kind) {
    case 'max-completion':
      return { state: 'TASK_FAILED', message: termination, reason: 'REASON_MAX_COMPLETION_TIME_REACHED' };
    case 'invalid':
      return { state: 'TASK_FAILED', message: `${termination} (${cause.message})`, reason: 'REASON_TASK_INVALID' };
    case 'health':
      return { state: 'TASK_KILLED', message: `${termination} (killed by health check: ${cause.description})`, healthy: false };
    case 'group': {
      const message = `${termination} (killed because task '${cause.siblingId}' of its group ended)`;
      return { state: 'TASK_KILLED', message, ...(cause.siblingHealthKill || outcome.groupUnhealthy ? { healthy: false as const } : {}) };
    }
    case 'switchboard':
      return { state: 'TASK_KILLED', message: `${termination} (killed by '${cause.principal}' through the switchboard)` };
    case 'scheduler':
    case 'shutdown':
      // Killed by us ends TASK_KILLED even when the process then exits 0.
      return { state: 'TASK_KILLED', message: termination };
  }
}

/**
 * The default executor's group policy: a member ending TASK_FAILED or TASK_KILLED takes its
 * live siblings down; TASK_FINISHED does not. A member refused with TASK_ERROR (the master
 * would have refused the whole group) counts as a failure.
 */
export function takesGroupDown(state: mesos.TaskState): boolean {
  return state === 'TASK_FAILED' || state === 'TASK_KILLED' || state === 'TASK_ERROR';
}
