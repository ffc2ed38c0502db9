// LAUNCH_NESTED_CONTAINER_SESSION: a command under a task's container whose lifetime is the
// connection (attach-exec.md §6), answered as src/slave/http.cpp answers it.
import { authorized, mayRunAs } from '../acl.js';
import { SWITCHBOARD_HEADERS } from '../../contracts/switchboard.js';
import type { AgentCall } from '../agent-call.js';
import { describeCommand } from '../audit.js';
import { containerIdText } from '../container-id.js';
import { ContainerStateError } from '../../containerizer/errors.js';
import { LaunchError } from '../../common/errors.js';
import type { mesos } from '../../proto/codec.js';
import type { TaskView } from '../../contracts/task-view.js';
import { badRequest, forbidden, tooManySessions } from '../errors.js';
import { ExecSession, ParentGoneError, taskUser, type SessionLaunch } from '../exec-session.js';
import { ProcessIOStream } from '../process-io-stream.js';
import { holdRequest, type HoldRequest } from '../request-extensions.js';
import { authorize, cannotBeFound, type CallContext, type SwitchboardState } from './context.js';

export async function launchSession(state: SwitchboardState, ctx: CallContext, call: Extract<AgentCall, { type: 'launch-session' }>): Promise<void> {
  const { id, parent } = call;
  const resolvedParent = state.containers.resolve(parent);
  if (resolvedParent.kind === 'unknown-root') throw cannotBeFound(parent);
  authorize(state, ctx, call.name, resolvedParent);
  if (state.containers.exists(id)) {
    ctx.res.writeHead(202, { 'Content-Length': 0 });
    ctx.res.end();
    return;
  }
  if (resolvedParent.kind !== 'task') {
    if (resolvedParent.kind === 'executor') throw badRequest(`Parent container ${containerIdText(parent)} is the executor's container; sessions run under a task's container`);
    if (resolvedParent.kind === 'session') throw badRequest(`Parent container ${containerIdText(parent)} is an exec session; nested sessions are not supported`);
    throw badRequest(`Parent container ${containerIdText(parent)} does not exist`);
  }
  const task = resolvedParent.task;
  if (task.terminated) throw destroying(parent);
  if (call.containerType !== undefined && call.containerType !== 'MESOS') throw badRequest('The provided ContainerInfo is not supported');
  const command = call.command;
  if (!command) throw badRequest("Expecting 'launch_nested_container_session.command' to be present");
  // An empty name would otherwise mean "no user switch", i.e. the executor's own user.
  if (command.user === '') throw badRequest("Expecting 'launch_nested_container_session.command.user' to be a user name, not empty");
  const ownUser = taskUser(task);
  const user = command.user ?? ownUser;
  if (!mayRunAs(state.acl, ctx.principal, user, ownUser)) {
    state.logger.warn({ principal: ctx.principal, task_id: task.taskId, user, task_user: ownUser }, 'session user not granted by the ACL');
    throw forbidden(`Principal '${ctx.principal}' may not run sessions as user '${user}' (task '${task.taskId}' runs as '${ownUser}'); that needs a "users" grant in the switchboard ACL`);
  }
  const hold = holdRequest(ctx.req.headers, state.maxHealthKillHoldMs);
  if (hold) {
    const start = new Date(state.clock.now()).toISOString();
    if (!authorized(state.acl, ctx.principal, 'HOLD_HEALTH_KILLS', task.taskId)) {
      state.logger.warn({ principal: ctx.principal, task_id: task.taskId, requested_ms: hold.requestedMs }, 'health-kill hold not authorized by the ACL');
      state.audit.refused({ event: 'health-kill-hold', principal: ctx.principal, task: task.taskId, container: containerIdText(id), tty: call.tty !== undefined, start, end: start, requested_ms: hold.requestedMs, duration_ms: 0, outcome: 'forbidden' });
      throw forbidden(`Principal '${ctx.principal}' may not hold the health kills of task '${task.taskId}'; that needs HOLD_HEALTH_KILLS in the switchboard ACL`);
    }
    if (!state.containers.registry.holdHealthKills) throw badRequest(`This executor cannot hold health kills (${SWITCHBOARD_HEADERS.holdHealthKills})`);
  }
  if (state.containers.liveSessions >= state.limits.maxSessions) {
    throw tooManySessions(`Too many exec sessions: the limit of ${state.limits.maxSessions} concurrent sessions is reached`);
  }

  const text = containerIdText(id);
  const logger = state.logger.child({ session: text, task_id: task.taskId });
  const session = await state.containers.launching(id, () => startSession(state, task, parent, { containerId: id, task, command, ...(call.tty ? { ttyInfo: call.tty } : {}), logger, clock: state.clock, recentOutputBytes: state.outputTailBytes }));
  if (!session) {
    // Another call launched this id meanwhile: as for an existing container.
    ctx.res.writeHead(202, { 'Content-Length': 0 });
    ctx.res.end();
    return;
  }
  const audit = { event: 'session' as const, principal: ctx.principal, task: task.taskId, container: text, command: describeCommand(command), user: session.user, tty: session.tty, start: new Date(session.startedAt).toISOString() };
  state.audit.started(audit);
  logger.info({ pid: session.pid, tty: session.tty }, 'exec session started');
  if (hold) holdHealthKills(state, ctx, session, hold);

  const stream = new ProcessIOStream(ctx.res, ctx.types, {
    clock: state.clock,
    heartbeatIntervalMs: state.heartbeatIntervalMs,
    maxQueuedBytes: state.limits.maxQueuedBytes,
    logger,
    flowControl: { pause: () => session.pauseOutput(), resume: () => session.resumeOutput() },
  });
  session.onOutput((s, chunk, lease) => stream.sendData(s, chunk, lease), { borrows: true });
  session.onOutputEnd(() => stream.end());
  stream.onEnd((end) => {
    // Lifetime = connection: a dropped client destroys the session's whole group.
    if (end !== 'completed') {
      logger.info({ end }, 'session connection closed before the session ended; destroying its container');
      session.destroy();
    }
  });
  const termination = await session.terminated;
  state.audit.ended({ ...audit, end: new Date(state.clock.now()).toISOString(), exit_status: termination.exitStatus, bytes_in: session.bytesIn, bytes_out: session.bytesOut });
}

/** The session's hold: from now until the session ends or the granted duration passes. */
function holdHealthKills(state: SwitchboardState, ctx: CallContext, session: ExecSession, hold: HoldRequest): void {
  const startMs = state.clock.now();
  const untilMs = startMs + hold.grantedMs;
  const release = state.containers.registry.holdHealthKills!(session.taskId, { principal: ctx.principal, untilMs });
  if (!release) return;
  const until = new Date(untilMs).toISOString();
  ctx.res.setHeader(SWITCHBOARD_HEADERS.healthKillsHeldUntil, until);
  const audit = { event: 'health-kill-hold' as const, principal: ctx.principal, task: session.taskId, container: session.containerText, tty: session.tty, start: new Date(startMs).toISOString(), requested_ms: hold.requestedMs, duration_ms: hold.grantedMs, until };
  state.audit.started(audit);
  void session.terminated.then(() => {
    release();
    state.audit.ended({ ...audit, end: new Date(Math.min(state.clock.now(), untilMs)).toISOString(), outcome: state.clock.now() >= untilMs ? 'expired' : 'session ended' });
  });
}

const destroying = (parent: mesos.ContainerID) => badRequest(`Parent container ${containerIdText(parent)} is in 'DESTROYING' state`);

/**
 * The session's container, nested in the task's when it has one (else without isolation,
 * as tasks without a container run). A task container that has ended or is being
 * destroyed is refused as the agent refuses a parent that is not running.
 */
async function startSession(state: SwitchboardState, task: TaskView, parent: mesos.ContainerID, launch: Omit<SessionLaunch, 'containerizer'>): Promise<ExecSession> {
  const containerizer = task.container ? state.containerizer : state.plainContainerizer;
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
