// LAUNCH_NESTED_CONTAINER_SESSION: a command under a task's container whose lifetime is the
// connection (attach-exec.md §6), answered as src/slave/http.cpp answers it.
import { authorized } from '../acl.js';
import { SWITCHBOARD_HEADERS } from '../../contracts/switchboard.js';
import type { AgentCall } from '../agent-call.js';
import { containerIdText } from '../container-id.js';
import { badRequest, forbidden } from '../errors.js';
import type { ExecSession } from '../exec-session.js';
import { ProcessIOStream } from '../process-io-stream.js';
import { holdRequest, type HoldRequest } from '../request-extensions.js';
import { checkSessionUser, destroying, launchAuditedSession } from '../session-launcher.js';
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
  checkSessionUser(state, ctx.principal, task, command);
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

  const launched = await launchAuditedSession(state, { principal: ctx.principal, task, id, command, tty: call.tty });
  if (!launched) {
    // Another call launched this id meanwhile: as for an existing container.
    ctx.res.writeHead(202, { 'Content-Length': 0 });
    ctx.res.end();
    return;
  }
  const { session, logger } = launched;
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
  await launched.ended;
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
