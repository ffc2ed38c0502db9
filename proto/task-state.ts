// Facts about TaskState that every side (executor, agent emulator, CLI) needs the same way.
import type { mesos } from './codec.js';

const TERMINAL_STATES: ReadonlySet<mesos.TaskState> = new Set([
  'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR',
]);

/** Mesos' protobuf::isTerminalState (src/common/protobuf_utils.cpp). */
export function isTerminalState(state: mesos.TaskState): boolean {
  return TERMINAL_STATES.has(state);
}
