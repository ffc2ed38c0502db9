// KILL_CONTAINER and KILL_NESTED_CONTAINER: a session is signalled here; a task is killed by
// the executor (TaskRegistry.killTask), so its kill policy and the cause are kept.
import type { AgentCall } from '../agent-call.js';
import { containerIdText } from '../container-id.js';
import { badRequest, internalError, notFound, SwitchboardHttpError } from '../errors.js';
import { authorize, sendOk, type CallContext, type SwitchboardState } from './context.js';

export async function killContainer(state: SwitchboardState, ctx: CallContext, call: Extract<AgentCall, { type: 'kill' }>): Promise<void> {
  const { container: id, signal } = call;
  const resolved = state.containers.resolve(id);
  const gone = notFound(`Container '${containerIdText(id)}' cannot be found (or is already killed)`);
  if (resolved.kind === 'unknown-root' || resolved.kind === 'unknown-nested') throw gone;
  authorize(state, ctx, call.name, resolved);
  let sent: boolean;
  try {
    switch (resolved.kind) {
      case 'executor':
        throw badRequest(`Killing the executor's own container ${containerIdText(id)} is not supported by the switchboard`);
      case 'ended-session':
        throw gone;
      case 'session':
        sent = resolved.session.kill(signal);
        break;
      case 'task':
        sent = !resolved.task.terminated && state.containers.registry.killTask(resolved.task.taskId, { signal, principal: ctx.principal });
        break;
    }
  } catch (err) {
    if (err instanceof SwitchboardHttpError) throw err;
    throw internalError(`Failed to send signal ${signal} to container ${containerIdText(id)}: ${(err as Error).message}`);
  }
  if (!sent) throw gone;
  state.logger.info({ principal: ctx.principal, container: containerIdText(id), signal, ...(resolved.kind === 'task' ? { task_id: resolved.task.taskId } : {}) }, resolved.kind === 'task' ? 'task kill requested' : 'container signalled');
  sendOk(ctx.res);
}
