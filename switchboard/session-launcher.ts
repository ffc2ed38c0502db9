// What every exec session goes through, whichever transport asked for it (the agent API's
// LAUNCH_NESTED_CONTAINER_SESSION or the WebSocket gateway): the user it may run as, the
// session limit, the launch into the right containerizer with its refusals worded as the
// agent words them, and the audit lines at its start and end.
import { mayRunAs } from './acl.js';
import type { AuditRecord } from './audit.js';
import { describeCommand } from './audit.js';
import { containerIdText } from './container-id.js';
import { ContainerStateError } from '../containerizer/errors.js';
import { LaunchError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { mesos } from '../proto/codec.js';
import type { TaskView } from '../contracts/task-view.js';
import { badRequest, forbidden, tooManySessions } from './errors.js';
import { ExecSession, ParentGoneError, taskUser, type SessionLaunch, type Termination } from './exec-session.js';
import type { SwitchboardState } from './calls/context.js';

export const destroying = (parent: mesos.ContainerID) => badRequest(`Parent container ${containerIdText(parent)} is in 'DESTROYING' state`);

/** A 403 naming the user unless `principal` may run `command` as its user in `task`. */
export function checkSessionUser(state: SwitchboardState, principal: string, task: TaskView, command: mesos.CommandInfo): void {
  const ownUser = taskUser(task);
  const user = command.user ?? ownUser;
  if (mayRunAs(state.acl, principal, user, ownUser)) return;
  state.logger.warn({ principal, task_id: task.taskId, user, task_user: ownUser }, 'session user not granted by the ACL');
  throw forbidden(`Principal '${principal}' may not run sessions as user '${user}' (task '${task.taskId}' runs as '${ownUser}'); that needs a "users" grant in the switchboard ACL`);
}

/** The 429 once `limits.maxSessions` sessions run or are being launched. */
function checkSessionLimit(state: SwitchboardState): void {
  if (state.containers.liveSessions >= state.limits.maxSessions) {
    throw tooManySessions(`Too many exec sessions: the limit of ${state.limits.maxSessions} concurrent sessions is reached`);
  }
}

export interface SessionRequest {
  principal: string;
  task: TaskView;
  id: mesos.ContainerID;
  command: mesos.CommandInfo;
  tty?: mesos.TTYInfo | undefined;
  transport?: AuditRecord['transport'];
}

export interface AuditedSession {
  session: ExecSession;
  logger: Logger;
  /** Resolves once the session terminated and its end is in the audit log. */
  ended: Promise<Termination>;
}

/**
 * Launches the session (after the limit check) and audits it. Undefined when another call
 * launched this id meanwhile. Launch failures are SwitchboardHttpErrors as the agent answers.
 */
export async function launchAuditedSession(state: SwitchboardState, request: SessionRequest): Promise<AuditedSession | undefined> {
  checkSessionLimit(state);
  const { principal, task, id, command, tty } = request;
  const text = containerIdText(id);
  const logger = state.logger.child({ session: text, task_id: task.taskId });
  const launch = { containerId: id, task, command, ...(tty ? { ttyInfo: tty } : {}), logger, clock: state.clock, recentOutputBytes: state.outputTailBytes };
  const session = await state.containers.launching(id, () => startSession(state, task, launch));
  if (!session) return undefined;
  const audit: AuditRecord = {
    event: 'session', principal, task: task.taskId, container: text, command: describeCommand(command), user: session.user, tty: session.tty,
    ...(request.transport ? { transport: request.transport } : {}),
    start: new Date(session.startedAt).toISOString(),
  };
  state.audit.started(audit);
  logger.info({ pid: session.pid, tty: session.tty, ...(request.transport ? { transport: request.transport } : {}) }, 'exec session started');
  const ended = session.terminated.then((termination) => {
    state.audit.ended({ ...audit, end: new Date(state.clock.now()).toISOString(), exit_status: termination.exitStatus, bytes_in: session.bytesIn, bytes_out: session.bytesOut });
    return termination;
  });
  return { session, logger, ended };
}

/**
 * The session's container, nested in the task's when it has one (else without isolation,
 * as tasks without a container run). A task container that has ended or is being
 * destroyed is refused as the agent refuses a parent that is not running.
 */
async function startSession(state: SwitchboardState, task: TaskView, launch: Omit<SessionLaunch, 'containerizer'>): Promise<ExecSession> {
  const containerizer = task.container ? state.containerizer : state.plainContainerizer;
  const parent = task.containerId;
  try {
    return await ExecSession.start({ ...launch, containerizer });
  } catch (err) {
    if (err instanceof ContainerStateError && !task.container) throw badRequest(err.message);
    if (err instanceof ContainerStateError || err instanceof ParentGoneError) {
      // Gone entirely, or still being destroyed (MesosContainerizerProcess::launch's words).
      if (!containerizer.containers.has(task.container!.id)) throw badRequest(`Parent container ${containerIdText(parent)} does not exist`);
      throw destroying(parent);
    }
    if (err instanceof LaunchError) throw badRequest(err.message);
    throw err;
  }
}
