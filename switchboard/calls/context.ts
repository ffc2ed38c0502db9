// What every call handler of switchboard/calls/ gets: the switchboard's state, the request
// with its negotiated media types and principal, and the few answers they share.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../common/clock.js';
import type { Containerizer } from '../../containerizer/containerizer.js';
import type { Logger } from '../../common/logger.js';
import { codecs, type agent, type mesos, type MessageContentType } from '../../proto/codec.js';
import type { Acl } from '../acl.js';
import type { AttachTarget } from '../attach-target.js';
import { authorized } from '../acl.js';
import type { CallName } from '../agent-call.js';
import type { AuditLog } from '../audit.js';
import { containerIdText } from '../container-id.js';
import type { Containers, ResolvedContainer } from '../containers.js';
import { forbidden, internalError, notFound } from '../errors.js';
import type { Limits } from '../limits.js';
import type { RequestMediaTypes } from '../media-types.js';
import type { OutputReaders } from '../output-readers.js';

export interface SwitchboardState {
  containers: Containers;
  /** The executor's: sessions of a task with a container are launched nested in it. */
  containerizer: Containerizer;
  /** Without isolation: sessions of a task that has no container run as the task does. */
  plainContainerizer: Containerizer;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  acl: Acl | undefined;
  limits: Limits;
  readers: OutputReaders;
  heartbeatIntervalMs: number;
  /** How long an input stream may outlive the drained output (Mesos: about 1 s). */
  inputGraceMs: number;
  /** The longest health-kill hold a session gets (MESOS_SIDECAR_SWITCHBOARD_MAX_HEALTH_KILL_HOLD). */
  maxHealthKillHoldMs: number;
  /** Output kept per session, and the most an attach can replay (MESOS_SIDECAR_SWITCHBOARD_OUTPUT_TAIL_BYTES). */
  outputTailBytes: number;
}

export interface CallContext {
  req: IncomingMessage;
  res: ServerResponse;
  types: RequestMediaTypes;
  principal: string;
}

function taskIdOf(resolved: ResolvedContainer): string | undefined {
  switch (resolved.kind) {
    case 'task':
      return resolved.task.taskId;
    case 'session':
      return resolved.session.taskId;
    case 'ended-session':
      return resolved.taskId;
    default:
      return undefined;
  }
}

export function authorize(state: SwitchboardState, ctx: CallContext, call: CallName, resolved: ResolvedContainer): void {
  if (!authorized(state.acl, ctx.principal, call, taskIdOf(resolved))) {
    state.logger.warn({ principal: ctx.principal, call, task_id: taskIdOf(resolved) }, 'call not authorized by the ACL');
    throw forbidden();
  }
}

export const cannotBeFound = (id: mesos.ContainerID) => notFound(`Container ${containerIdText(id)} cannot be found`);

export function sendMessage(res: ServerResponse, accept: MessageContentType, response: agent.Response): void {
  const body = codecs.agent.Response.encode(response, accept);
  res.writeHead(200, { 'Content-Type': accept, 'Content-Length': body.length });
  res.end(body);
}

export function sendOk(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Length': 0 });
  res.end();
}

/** The terminal or session an attach call reaches, or the agent's answer why there is none. */
export function attachTarget(state: SwitchboardState, id: mesos.ContainerID, resolved: ResolvedContainer): AttachTarget {
  switch (resolved.kind) {
    case 'unknown-root':
      throw cannotBeFound(id);
    case 'unknown-nested':
      throw internalError(`Unknown container ${containerIdText(id)}`);
    case 'ended-session':
      throw internalError('I/O switchboard has shutdown');
    case 'executor':
      throw internalError('I/O switchboard server was disabled for this container');
    case 'task': {
      const terminal = state.containers.terminalOf(resolved.task);
      if (!terminal) throw internalError('I/O switchboard server was disabled for this container');
      if (terminal.outputEnded) throw internalError('I/O switchboard has shutdown');
      return terminal;
    }
    case 'session':
      if (resolved.session.outputEnded) throw internalError('I/O switchboard has shutdown');
      return resolved.session;
  }
}
