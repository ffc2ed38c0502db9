// The agent calls the switchboard serves, each answered as the Mesos agent answers it
// (src/slave/http.cpp), with the process-group semantics of attach-exec.md §6.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../common/clock.js';
import { RecordIOError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { signalGroup } from '../common/process.js';
import { codecs, type agent, type mesos, type MessageContentType } from '../proto/codec.js';
import type { Acl } from './acl.js';
import { authorized, mayRunAs } from './acl.js';
import type { AttachTarget } from './attach-target.js';
import { AuditLog, describeCommand } from './audit.js';
import { containerIdText } from './container-id.js';
import type { Containers, ResolvedContainer } from './containers.js';
import { badRequest, conflict, forbidden, internalError, notFound, payloadTooLarge, SwitchboardHttpError, tooManySessions } from './errors.js';
import { ExecSession, taskUser } from './exec-session.js';
import type { Limits } from './limits.js';
import type { RequestMediaTypes } from './media-types.js';
import type { OutputReaders } from './output-readers.js';
import { ProcessIOStream } from './process-io-stream.js';
import { validateInputRecord } from './validate-call.js';

export { DEFAULT_LIMITS, type Limits } from './limits.js';

export interface SwitchboardState {
  containers: Containers;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  acl: Acl | undefined;
  limits: Limits;
  readers: OutputReaders;
  heartbeatIntervalMs: number;
  /** How long an input stream may outlive the drained output (Mesos: about 1 s). */
  inputGraceMs: number;
}

export interface CallContext {
  req: IncomingMessage;
  res: ServerResponse;
  call: agent.Call;
  types: RequestMediaTypes;
  principal: string;
  /** The rest of a recordio request body, after its first record. */
  records?: AsyncIterator<Buffer>;
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

function authorize(state: SwitchboardState, ctx: CallContext, resolved: ResolvedContainer): void {
  if (!authorized(state.acl, ctx.principal, ctx.call.type!, taskIdOf(resolved))) {
    state.logger.warn({ principal: ctx.principal, call: ctx.call.type, task: taskIdOf(resolved) }, 'call not authorized by the ACL');
    throw forbidden();
  }
}

const cannotBeFound = (id: mesos.ContainerID) => notFound(`Container ${containerIdText(id)} cannot be found`);

function sendMessage(res: ServerResponse, accept: MessageContentType, response: agent.Response): void {
  const body = codecs.agent.Response.encode(response, accept);
  res.writeHead(200, { 'Content-Type': accept, 'Content-Length': body.length });
  res.end(body);
}

function sendOk(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Length': 0 });
  res.end();
}

// ---------------------------------------------------------------------------------------

export async function launchNestedContainerSession(state: SwitchboardState, ctx: CallContext): Promise<void> {
  const launch = ctx.call.launch_nested_container_session!;
  const id = launch.container_id;
  const parent = id.parent!;
  const resolvedParent = state.containers.resolve(parent);
  if (resolvedParent.kind === 'unknown-root') throw cannotBeFound(parent);
  authorize(state, ctx, resolvedParent);
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
  if (task.terminated) throw badRequest(`Parent container ${containerIdText(parent)} is in 'DESTROYING' state`);
  if (launch.container && launch.container.type !== 'MESOS') throw badRequest('The provided ContainerInfo is not supported');
  if (!launch.command) throw badRequest("Expecting 'launch_nested_container_session.command' to be present");
  // An empty name would otherwise mean "no user switch", i.e. the executor's own user.
  if (launch.command.user === '') throw badRequest("Expecting 'launch_nested_container_session.command.user' to be a user name, not empty");
  const ownUser = taskUser(task);
  const user = launch.command.user ?? ownUser;
  if (!mayRunAs(state.acl, ctx.principal, user, ownUser)) {
    state.logger.warn({ principal: ctx.principal, task_id: task.taskId, user, task_user: ownUser }, 'session user not granted by the ACL');
    throw forbidden(`Principal '${ctx.principal}' may not run sessions as user '${user}' (task '${task.taskId}' runs as '${ownUser}'); that needs a "users" grant in the switchboard ACL`);
  }
  if (state.containers.liveSessions >= state.limits.maxSessions) {
    throw tooManySessions(`Too many exec sessions: the limit of ${state.limits.maxSessions} concurrent sessions is reached`);
  }

  const text = containerIdText(id);
  const logger = state.logger.child({ session: text, task: task.taskId });
  const session = new ExecSession({ containerId: id, task, command: launch.command, ttyInfo: launch.container?.tty_info, logger, clock: state.clock });
  state.containers.add(session);
  const audit = { event: 'session' as const, principal: ctx.principal, task: task.taskId, container: text, command: describeCommand(launch.command), user: session.user, tty: session.tty, start: new Date(session.startedAt).toISOString() };
  state.audit.started(audit);
  logger.info({ pid: session.pid, tty: session.tty }, 'exec session started');

  const stream = new ProcessIOStream(ctx.res, ctx.types, {
    clock: state.clock,
    heartbeatIntervalMs: state.heartbeatIntervalMs,
    maxQueuedBytes: state.limits.maxQueuedBytes,
    logger,
    flowControl: { pause: () => session.pauseOutput(), resume: () => session.resumeOutput() },
  });
  session.onOutput((s, chunk) => stream.sendData(s, chunk));
  session.onOutputEnd(() => stream.end());
  stream.onEnd((end) => {
    // Lifetime = connection: a dropped client destroys the session's whole group.
    if (end !== 'completed') {
      logger.info({ end }, 'session connection closed before the session ended; killing its process group');
      session.destroy();
    }
  });
  const termination = await session.terminated;
  state.audit.ended({ ...audit, end: new Date(state.clock.now()).toISOString(), exit_status: termination.exitStatus, bytes_in: session.bytesIn, bytes_out: session.bytesOut });
}

// ---------------------------------------------------------------------------------------

function attachTarget(state: SwitchboardState, id: mesos.ContainerID, resolved: ResolvedContainer): AttachTarget {
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

export async function attachContainerOutput(state: SwitchboardState, ctx: CallContext): Promise<void> {
  const id = ctx.call.attach_container_output!.container_id;
  const resolved = state.containers.resolve(id);
  if (resolved.kind !== 'unknown-root') authorize(state, ctx, resolved);
  const target = attachTarget(state, id, resolved);
  // Counted before the 200 goes out: a reader over the limits gets a 429 instead.
  let cutOff = (_reason: string): void => {};
  const slot = state.readers.admit(target.containerText, { cutOff: (reason) => cutOff(reason) });
  const logger = state.logger.child({ attach: 'output', container: target.containerText, task_id: target.taskId });
  const audit = { event: 'attach-output' as const, principal: ctx.principal, task: target.taskId, container: target.containerText, tty: target.tty, start: new Date(state.clock.now()).toISOString() };
  state.audit.started(audit);
  const stream = new ProcessIOStream(ctx.res, ctx.types, {
    clock: state.clock,
    heartbeatIntervalMs: state.heartbeatIntervalMs,
    maxQueuedBytes: state.limits.maxQueuedBytes,
    logger,
    slot,
  });
  cutOff = (reason) => stream.cutOff(reason);
  const offData = target.onOutput((s, chunk) => stream.sendData(s, chunk));
  const offEnd = target.onOutputEnd(() => stream.end());
  await new Promise<void>((resolve) =>
    stream.onEnd((end) => {
      offData();
      offEnd();
      state.audit.ended({ ...audit, end: new Date(state.clock.now()).toISOString(), bytes_out: stream.bytesOut, outcome: end });
      resolve();
    }),
  );
}

// ---------------------------------------------------------------------------------------

export async function attachContainerInput(state: SwitchboardState, ctx: CallContext): Promise<void> {
  const first = ctx.call.attach_container_input!;
  if (first.type !== 'CONTAINER_ID') throw badRequest("Expecting 'attach_container_input.type' to be CONTAINER_ID");
  const id = first.container_id!;
  const resolved = state.containers.resolve(id);
  if (resolved.kind !== 'unknown-root') authorize(state, ctx, resolved);
  const target = attachTarget(state, id, resolved);
  if (target.inputAttached) throw conflict('Multiple input connections are not allowed');
  target.inputAttached = true;

  const logger = state.logger.child({ attach: 'input', container: target.containerText, task: target.taskId });
  const audit = { event: 'attach-input' as const, principal: ctx.principal, task: target.taskId, container: target.containerText, tty: target.tty, start: new Date(state.clock.now()).toISOString() };
  state.audit.started(audit);
  let bytesIn = 0;
  let answered = false;
  let graceTimer: ReturnType<Clock['setTimeout']> | undefined;

  // Exactly one answer per input stream; the slot frees when it is sent.
  const answer = (error?: SwitchboardHttpError): void => {
    if (answered) return;
    answered = true;
    state.clock.clearTimeout(graceTimer);
    offEnd();
    target.inputAttached = false;
    state.audit.ended({ ...audit, end: new Date(state.clock.now()).toISOString(), bytes_in: bytesIn, outcome: error ? `${error.status} ${error.body}` : 'ok' });
    if (ctx.res.headersSent || ctx.res.destroyed) return;
    const headers: Record<string, string | number> = { 'Content-Length': error ? Buffer.byteLength(error.body) : 0 };
    // Answered while the client may still be sending: this connection cannot be reused.
    if (!ctx.req.complete) headers.Connection = 'close';
    if (error) headers['Content-Type'] = 'text/plain; charset=utf-8';
    ctx.res.writeHead(error ? error.status : 200, headers);
    // With `Connection: close` Node closes the socket once this is flushed, which also
    // ends the record loop below if the client was still sending.
    ctx.res.end(error?.body);
  };
  const offEnd = target.onOutputEnd(() => {
    graceTimer = state.clock.setTimeout(() => answer(), state.inputGraceMs);
  });
  ctx.req.once('close', () => {
    if (!answered && !ctx.req.complete) {
      logger.debug('input connection closed by the client');
      answer();
    }
  });

  const records = ctx.records!;
  const encoding = ctx.types.messageContent!;
  try {
    for (;;) {
      const next = await records.next();
      if (next.done || answered) break;
      // Empty frames are ignored (recordio.md §4).
      if (next.value.length === 0) continue;
      let call: agent.Call;
      try {
        call = codecs.agent.Call.decode(next.value, encoding);
      } catch (err) {
        return answer(badRequest((err as Error).message));
      }
      const invalid = validateInputRecord(call, target.tty);
      if (invalid) return answer(badRequest(invalid));
      const io = call.attach_container_input!.process_io!;
      if (io.type === 'DATA') {
        const data = io.data!.data!;
        if (data.length === 0) {
          target.closeStdin();
          continue;
        }
        bytesIn += data.length;
        try {
          await target.writeStdin(data);
        } catch (err) {
          return answer(internalError(`Failed writing to stdin: ${(err as Error).message}`));
        }
      } else if (io.control!.type === 'TTY_INFO') {
        const size = io.control!.tty_info!.window_size!;
        target.resize(size.columns, size.rows);
        logger.debug({ columns: size.columns, rows: size.rows }, 'window size set');
      }
      // HEARTBEAT from the client: accepted, its interval ignored.
    }
  } catch (err) {
    if (err instanceof RecordIOError) {
      return answer(err.code === 'E_RECORDIO_TOO_LARGE' ? payloadTooLarge(err.message) : badRequest(err.message));
    }
    // The client went away mid-body: nothing to answer.
    logger.debug({ err }, 'input stream broke');
    return answer();
  }
  answer();
}

// ---------------------------------------------------------------------------------------

function containerIdOf(call: agent.Call): mesos.ContainerID {
  const holder = call.wait_nested_container ?? call.wait_container ?? call.kill_nested_container ?? call.kill_container ?? call.remove_nested_container ?? call.remove_container;
  return holder!.container_id;
}

export async function waitContainer(state: SwitchboardState, ctx: CallContext): Promise<void> {
  const id = containerIdOf(ctx.call);
  const resolved = state.containers.resolve(id);
  if (resolved.kind === 'unknown-root' || resolved.kind === 'unknown-nested') throw cannotBeFound(id);
  authorize(state, ctx, resolved);
  let exitStatus: number | undefined;
  switch (resolved.kind) {
    case 'executor':
      throw badRequest(`Waiting for the executor's own container ${containerIdText(id)} is not supported by the switchboard`);
    case 'session':
      exitStatus = (await resolved.session.terminated).exitStatus;
      break;
    case 'ended-session':
      exitStatus = resolved.termination.exitStatus;
      break;
    case 'task':
      await resolved.task.exited;
      exitStatus = resolved.task.waitStatus;
      break;
  }
  if (ctx.res.destroyed) return;
  const result = exitStatus === undefined ? {} : { exit_status: exitStatus };
  const response: agent.Response =
    ctx.call.type === 'WAIT_NESTED_CONTAINER' ? { type: 'WAIT_NESTED_CONTAINER', wait_nested_container: result } : { type: 'WAIT_CONTAINER', wait_container: result };
  sendMessage(ctx.res, ctx.types.accept as MessageContentType, response);
}

export async function killContainer(state: SwitchboardState, ctx: CallContext): Promise<void> {
  const id = containerIdOf(ctx.call);
  const signal = (ctx.call.kill_nested_container ?? ctx.call.kill_container)!.signal ?? 9;
  const resolved = state.containers.resolve(id);
  const gone = notFound(`Container '${containerIdText(id)}' cannot be found (or is already killed)`);
  if (resolved.kind === 'unknown-root' || resolved.kind === 'unknown-nested') throw gone;
  authorize(state, ctx, resolved);
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
        sent = !resolved.task.terminated && resolved.task.pid !== undefined && signalGroup(resolved.task.pid, signal);
        break;
    }
  } catch (err) {
    if (err instanceof SwitchboardHttpError) throw err;
    throw internalError(`Failed to send signal ${signal} to container ${containerIdText(id)}: ${(err as Error).message}`);
  }
  if (!sent) throw gone;
  state.logger.info({ principal: ctx.principal, container: containerIdText(id), signal }, 'container signalled');
  sendOk(ctx.res);
}

export async function removeContainer(state: SwitchboardState, ctx: CallContext): Promise<void> {
  const id = containerIdOf(ctx.call);
  const resolved = state.containers.resolve(id);
  if (resolved.kind === 'unknown-root') throw internalError('Unknown root container');
  authorize(state, ctx, resolved);
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
