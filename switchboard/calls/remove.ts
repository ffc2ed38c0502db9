// REMOVE_CONTAINER and REMOVE_NESTED_CONTAINER: forgets an ended session; a task's
// container belongs to the executor, so there is nothing of ours to delete.
import type { AgentCall } from '../agent-call.js';
import { containerIdText } from '../container-id.js';
import { badRequest, internalError } from '../errors.js';
import { authorize, sendOk, type CallContext, type SwitchboardState } from './context.js';

export async function removeContainer(state: SwitchboardState, ctx: CallContext, call: Extract<AgentCall, { type: 'remove' }>): Promise<void> {
  const id = call.container;
  const resolved = state.containers.resolve(id);
  if (resolved.kind === 'unknown-root') throw internalError('Unknown root container');
  authorize(state, ctx, call.name, resolved);
  switch (resolved.kind) {
    case 'executor':
      throw badRequest(`Removing the executor's own container ${containerIdText(id)} is not supported by the switchboard`);
    case 'session':
      throw internalError('Nested container has not terminated yet');
    case 'task':
      // The task's sandbox belongs to the executor; nothing of ours to delete.
      if (!resolved.task.terminated) throw internalError('Nested container has not terminated yet');
      break;
    case 'ended-session':
      state.containers.forget(id);
      break;
    case 'unknown-nested':
      break;
  }
  sendOk(ctx.res);
}
