// HTTP plumbing of the switchboard: routes, authentication, the agent API's header
// negotiation and body decoding (parseAgentCall), then dispatch to calls/. Errors are typed values
// (SwitchboardHttpError) mapped to a response in one place.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CodecError, RecordIOError } from '../common/errors.js';
import { keepAlive } from '../common/keepalive.js';
import { BodyTooLargeError, readBody } from '../common/read-body.js';
import { codecs, JSON_TYPE, RECORDIO_TYPE, type agent, type MessageContentType } from '../proto/codec.js';
import { allowsCall, authorized } from './acl.js';
import { authenticate, type AuthConfig } from './auth.js';
import { AgentCallError, parseAgentCall, type AgentCall } from './agent-call.js';
import { attachInput, type InputBody } from './calls/attach-input.js';
import { attachOutput } from './calls/attach-output.js';
import { getContainers } from './calls/get-containers.js';
import type { CallContext, SwitchboardState } from './calls/context.js';
import { killContainer } from './calls/kill.js';
import { launchSession } from './calls/launch-session.js';
import { removeContainer } from './calls/remove.js';
import { waitContainer } from './calls/wait.js';
import { FILES_PREFIX, serveFiles } from './files/endpoints.js';
import { badRequest, forbidden, methodNotAllowed, notAcceptable, notFound, notImplemented, payloadTooLarge, requestTimeout, SwitchboardHttpError, unsupportedMediaType } from './errors.js';
import { negotiateMediaTypes, type RequestMediaTypes } from './media-types.js';
import { recordsOf } from './record-stream.js';
import { taskEntry } from './task-listing.js';
import { isUiPath, serveUi } from './ui-files.js';

const API_PATHS = new Set(['/api/v1', '/slave(1)/api/v1']);
export const TASKS_PATH = '/tasks';
const STREAM_HIGH_WATER_MARK = 1024 * 1024;

/**
 * `reading` or, when it takes longer than `ms`, a 408. A body that trickles in byte by
 * byte would otherwise hold its connection forever: Node's requestTimeout has to stay off,
 * since an input stream's body lasts as long as its container.
 */
async function withinDeadline<T>(state: SwitchboardState, ms: number, what: string, reading: Promise<T>): Promise<T> {
  // Once the 408 is out a late failure of the read is moot.
  reading.catch(() => {});
  let timer: ReturnType<typeof state.clock.setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = state.clock.setTimeout(() => reject(requestTimeout(`${what} not received within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([reading, expired]);
  } finally {
    state.clock.clearTimeout(timer);
  }
}

async function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  try {
    return await readBody(req, limit);
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw payloadTooLarge(`Request body exceeds the limit of ${limit} bytes`);
    throw err;
  }
}

function decodeCall(body: Buffer, encoding: MessageContentType): AgentCall {
  let call: agent.Call;
  try {
    call = codecs.agent.Call.decode(body, encoding);
  } catch (err) {
    if (err instanceof CodecError) throw badRequest(err.message);
    throw err;
  }
  try {
    return parseAgentCall(call);
  } catch (err) {
    if (err instanceof AgentCallError) throw badRequest(`Failed to validate agent::Call: ${err.message}`);
    throw err;
  }
}

/** Steps 11-14 of attach-exec.md §2: read and check the call. */
async function readCall(state: SwitchboardState, req: IncomingMessage, types: RequestMediaTypes): Promise<{ call: AgentCall; body?: InputBody }> {
  const { maxRecordSize, bodyTimeoutMs } = state.limits;
  if (types.content === RECORDIO_TYPE) {
    // negotiateMediaTypes refused a streaming request without it already.
    const encoding = types.messageContent;
    if (!encoding) throw badRequest("Expecting 'Message-Content-Type' to be set for streaming requests");
    const records = recordsOf(req, { maxRecordSize, highWaterBytes: 256 * 1024 })[Symbol.asyncIterator]();
    let first: IteratorResult<Buffer>;
    try {
      // Empty frames carry nothing; skip to the first real record.
      const firstRecord = async (): Promise<IteratorResult<Buffer>> => {
        let next: IteratorResult<Buffer>;
        do next = await records.next();
        while (!next.done && next.value.length === 0);
        return next;
      };
      first = await withinDeadline(state, bodyTimeoutMs, 'The first record of the request body was', firstRecord());
    } catch (err) {
      if (err instanceof SwitchboardHttpError) throw err;
      if (err instanceof RecordIOError) throw err.code === 'E_RECORDIO_TOO_LARGE' ? payloadTooLarge(err.message) : badRequest(err.message);
      // The client went away before its first record: what Mesos answers to an early EOF.
      throw badRequest('Received EOF while reading request body');
    }
    if (first.done) throw badRequest('Received EOF while reading request body');
    return { call: decodeCall(first.value, encoding), body: { records, encoding } };
  }
  const body = await withinDeadline(state, bodyTimeoutMs, 'The request body was', readRequestBody(req, maxRecordSize));
  return { call: decodeCall(body, types.content) };
}

export function createRequestHandler(state: SwitchboardState, auth: AuthConfig): (req: IncomingMessage, res: ServerResponse) => void {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (isUiPath(path)) return serveUi(req, res, path);
    const principal = authenticate(req.headers, auth);
    if (path === TASKS_PATH) return listTasks(state, req, res, principal);
    if (path.startsWith(FILES_PREFIX)) return serveFiles(state, req, res, principal);
    if (!API_PATHS.has(path)) throw notFound('');
    // Our analogue of an agent still recovering: the executor has not subscribed yet.
    if (!state.containers.registry.executorContainerId()) throw new SwitchboardHttpError('E_RECOVERING', 503, 'Agent has not finished recovery');
    if (req.method !== 'POST') throw methodNotAllowed(req.method);
    const types = negotiateMediaTypes(req.headers);
    const { call, body } = await readCall(state, req, types);
    const type = call.name;
    if (types.content === RECORDIO_TYPE && type !== 'ATTACH_CONTAINER_INPUT') {
      throw unsupportedMediaType(`Streaming 'Content-Type' ${RECORDIO_TYPE} is not supported for ${type} call`);
    }
    const notStreamed = () => unsupportedMediaType(`Expecting 'Content-Type' to be ${RECORDIO_TYPE} for ${type} call`);
    if (call.type === 'attach-input' && !body) throw notStreamed();
    if (types.accept === RECORDIO_TYPE && type !== 'ATTACH_CONTAINER_OUTPUT' && type !== 'LAUNCH_NESTED_CONTAINER_SESSION') {
      throw notAcceptable(`Streaming response is not supported for ${type} call`);
    }
    const ctx: CallContext = { req, res, types, principal };
    state.logger.debug({ principal, call: type }, 'agent call');
    switch (call.type) {
      case 'launch-session':
        return launchSession(state, ctx, call);
      case 'attach-input':
        if (!body) throw notStreamed();
        return attachInput(state, ctx, call, body);
      case 'attach-output':
        return attachOutput(state, ctx, call);
      case 'wait':
        return waitContainer(state, ctx, call);
      case 'kill':
        return killContainer(state, ctx, call);
      case 'remove':
        return removeContainer(state, ctx, call);
      case 'get-containers':
        return getContainers(state, ctx, call);
      case 'not-served':
        if (type === 'UNKNOWN') throw notImplemented();
        throw new SwitchboardHttpError('E_NOT_IMPLEMENTED', 501, `${type} is not served by the mesos-sidecar switchboard`);
    }
  };

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      const error = err instanceof SwitchboardHttpError ? err : undefined;
      // A client that hangs up mid-body is routine, not our failure.
      if (!error && clientAborted(err, req)) state.logger.info({ url: req.url }, 'request body aborted by the client');
      else if (!error) state.logger.error({ err, url: req.url }, 'switchboard request failed');
      else if (error.status >= 500) state.logger.warn({ status: error.status, body: error.body }, 'switchboard call failed');
      else state.logger.debug({ status: error.status, body: error.body }, 'switchboard call rejected');
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      const status = error?.status ?? 500;
      const body = error ? error.body : 'Internal error';
      const headers: Record<string, string | string[] | number> = { ...(error?.headers ?? {}), 'Content-Length': Buffer.byteLength(body) };
      if (body) headers['Content-Type'] = 'text/plain; charset=utf-8';
      // The request body may still be arriving (or never read): do not reuse the connection.
      if (!req.complete) headers.Connection = 'close';
      res.writeHead(status, headers);
      res.end(body);
    });
  };
}

/**
 * GET /tasks: our stand-in for asking the master which container a task runs in (the
 * upstream CLI reads `container_status` from the master's /tasks). Read-only, and only
 * the tasks the principal's ACL allows for GET_TASKS.
 */
function listTasks(state: SwitchboardState, req: IncomingMessage, res: ServerResponse, principal: string): void {
  if (req.method !== 'GET') throw new SwitchboardHttpError('E_METHOD', 405, `405 Method Not Allowed. Expecting one of { 'GET' }, but received '${req.method}'.`, { Allow: 'GET' });
  // A principal the ACL does not grant GET_TASKS at all is refused, as for any other call,
  // rather than shown an empty list.
  if (state.acl && !allowsCall(state.acl, principal, 'GET_TASKS')) throw forbidden();
  const executor = state.containers.registry.executorContainerId();
  const [now, sandbox] = [state.clock.now(), state.containers.registry.sandbox?.()];
  const tasks = [...state.containers.registry.tasks()]
    .filter((t) => authorized(state.acl, principal, 'GET_TASKS', t.taskId))
    .map((t) => taskEntry(t, now, sandbox));
  const body = Buffer.from(JSON.stringify({ executor_container_id: executor ?? null, tasks }));
  res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Content-Length': body.length });
  res.end(body);
}

function clientAborted(err: unknown, req: IncomingMessage): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ECONNRESET' || (req.destroyed && !req.complete);
}

export function createHttpServer(state: SwitchboardState, auth: AuthConfig, maxConnections: number): http.Server {
  const { headersTimeoutMs } = state.limits;
  // noDelay: keystrokes and their echo are single small frames; Nagle would add 40 ms.
  // highWaterMark: with the default 16 KiB every 64 KiB output chunk would report a full
  // buffer and pause the session's producer, a pause/resume per chunk.
  // Node checks headersTimeout only every connectionsCheckingInterval: kept well below it.
  const server = http.createServer(
    {
      noDelay: true,
      requestTimeout: 0,
      headersTimeout: headersTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeoutMs / 4))),
      highWaterMark: STREAM_HIGH_WATER_MARK,
    },
    createRequestHandler(state, auth),
  );
  // Node's headersTimeout starts at a request's first byte: a connection that never sends
  // one is not covered. This closes it once headersTimeout passed without a request
  // (a socket timer: connection mechanics, not the injected clock).
  const awaitingRequest = new WeakMap<Socket, () => void>();
  server.on('connection', (socket: Socket) => {
    keepAlive(socket);
    const silent = (): void => {
      state.logger.debug({ remote: socket.remoteAddress }, 'connection sent no request within headersTimeout; closing it');
      socket.destroy();
    };
    awaitingRequest.set(socket, silent);
    socket.setTimeout(headersTimeoutMs);
    socket.once('timeout', silent);
  });
  server.prependListener('request', (req: IncomingMessage) => {
    const silent = awaitingRequest.get(req.socket);
    if (!silent) return;
    awaitingRequest.delete(req.socket);
    req.socket.off('timeout', silent);
    req.socket.setTimeout(0);
  });
  // Beyond the cap Node closes new connections at once, keeping the descriptor reserve.
  server.maxConnections = maxConnections;
  let lastDropLog = 0;
  server.on('drop', () => {
    const now = state.clock.now();
    if (now - lastDropLog < 10_000) return;
    lastDropLog = now;
    state.logger.warn({ maxConnections }, 'connection limit reached; new connections are closed until some end');
  });
  return server;
}
