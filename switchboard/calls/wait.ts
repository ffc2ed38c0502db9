// WAIT_CONTAINER and WAIT_NESTED_CONTAINER: answered once the task or session has ended,
// with its raw wait status when known, and for a session its task's memory limit ended
// the state, reason, limitation and message of src/slave/http.cpp `_waitContainer`.
import type { agent, MessageContentType } from '../../proto/codec.js';
import type { AgentCall } from '../agent-call.js';
import { containerIdText } from '../container-id.js';
import { badRequest } from '../errors.js';
import type { Termination } from '../exec-session.js';
import { authorize, cannotBeFound, sendMessage, type CallContext, type SwitchboardState } from './context.js';

export async function waitContainer(state: SwitchboardState, ctx: CallContext, call: Extract<AgentCall, { type: 'wait' }>): Promise<void> {
  const id = call.container;
  const resolved = state.containers.resolve(id);
  if (resolved.kind === 'unknown-root' || resolved.kind === 'unknown-nested') throw cannotBeFound(id);
  authorize(state, ctx, call.name, resolved);
  let termination: Termination;
  switch (resolved.kind) {
    case 'executor':
      throw badRequest(`Waiting for the executor's own container ${containerIdText(id)} is not supported by the switchboard`);
    case 'session':
      termination = await resolved.session.terminated;
      break;
    case 'ended-session':
      termination = resolved.termination;
      break;
    case 'task':
      await resolved.task.exited;
      termination = { exitStatus: resolved.task.waitStatus };
      break;
  }
  if (ctx.res.destroyed) return;
  const result = waitResult(termination);
  const response: agent.Response =
    call.name === 'WAIT_NESTED_CONTAINER' ? { type: 'WAIT_NESTED_CONTAINER', wait_nested_container: result } : { type: 'WAIT_CONTAINER', wait_container: result };
  // The server refuses a streaming Accept for this call, so accept is JSON or protobuf.
  sendMessage(ctx.res, ctx.types.accept as MessageContentType, response);
}

/** The fields WaitContainer and WaitNestedContainer share, from a termination. */
export function waitResult({ exitStatus, limitation }: Termination): agent.Response.WaitContainer {
  return {
    ...(exitStatus === undefined ? {} : { exit_status: exitStatus }),
    // MesosContainerizerProcess::limited: TASK_FAILED, the limitation's reason and message.
    ...(limitation ? { state: 'TASK_FAILED', reason: limitation.reason, limitation: { resources: limitation.resources }, message: limitation.message } : {}),
  };
}
