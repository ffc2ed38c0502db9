// validateExecutorCall (src/common/validation.cpp): what the agent answers 400 to, with
// its wording. Required fields are already enforced by the codec while decoding.
import type { executor, mesos } from '../proto/codec.js';

function validateCheckStatusInfo(c: mesos.CheckStatusInfo): string | undefined {
  if (c.type === undefined) return "CheckStatusInfo must specify 'type'";
  switch (c.type) {
    case 'COMMAND':
      return c.command ? undefined : "Expecting 'command' to be set for COMMAND check's status";
    case 'HTTP':
      return c.http ? undefined : "Expecting 'http' to be set for HTTP check's status";
    case 'TCP':
      return c.tcp ? undefined : "Expecting 'tcp' to be set for TCP check's status";
    default:
      return `'${c.type}' is not a valid check's status type`;
  }
}

/** A 16-byte UUID whose version nibble is 1–5 (stout's UUID::fromBytes). */
export function isValidUuid(bytes: Buffer | undefined): boolean {
  if (!bytes || bytes.length !== 16) return false;
  const version = bytes[6]! >> 4;
  return version >= 1 && version <= 5;
}

/** undefined when valid, else the agent's error text. */
export function validateExecutorCall(call: executor.Call): string | undefined {
  if (call.type === undefined) return "Expecting 'type' to be present";
  switch (call.type) {
    case 'SUBSCRIBE':
      return call.subscribe ? undefined : "Expecting 'subscribe' to be present";
    case 'UPDATE': {
      if (!call.update) return "Expecting 'update' to be present";
      const status = call.update.status;
      if (status.uuid === undefined) return "Expecting 'uuid' to be present";
      if (!isValidUuid(status.uuid)) return 'Not a valid UUID';
      if (status.executor_id && status.executor_id.value !== call.executor_id.value) {
        return `ExecutorID in Call: ${call.executor_id.value} does not match ExecutorID in TaskStatus: ${status.executor_id.value}`;
      }
      if (status.source !== 'SOURCE_EXECUTOR') {
        return `Received Call from executor ${call.executor_id.value} of framework ${call.framework_id.value} with invalid source, expecting 'SOURCE_EXECUTOR'`;
      }
      if (status.state === 'TASK_STAGING') {
        return `Received TASK_STAGING from executor ${call.executor_id.value} of framework ${call.framework_id.value} which is not allowed`;
      }
      return status.check_status ? validateCheckStatusInfo(status.check_status) : undefined;
    }
    case 'MESSAGE':
      return call.message ? undefined : "Expecting 'message' to be present";
    default:
      return undefined;
  }
}
