// The WebSocket gateway (contracts/ws-gateway.ts): upgrades on the switchboard's HTTP
// server for exec and attach. Every refusal is decided before the handshake, in this
// order, and answered as the HTTP calls answer it: the path (404), the Origin (403), the
// credentials (401), the executor subscribed (503), the task (404), the query (400), the
// ACL (403), the limits (429), then what the endpoint itself needs (a TTY for attach, 400).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { TaskView } from '../../contracts/task-view.js';
import { WS_SUBPROTOCOL } from '../../contracts/ws-gateway.js';
import { authorized } from '../acl.js';
import { authenticate, type AuthConfig } from '../auth.js';
import { attachTarget, type SwitchboardState } from '../calls/context.js';
import type { CallName } from '../agent-call.js';
import { badRequest, conflict, forbidden, notFound, SwitchboardHttpError } from '../errors.js';
import { checkSessionUser, destroying, launchAuditedSession } from '../session-launcher.js';
import { serveAttach, type AttachGrant } from './attach.js';
import { authorizationOf, offeredProtocols, selectProtocol } from './credentials.js';
import { serveExec } from './exec.js';
import { checkOrigin } from './origin.js';
import { refuseUpgrade } from './refusal.js';
import { gatewayTarget, parseAttachQuery, parseExecQuery } from './request.js';
import type { TerminalSocket } from './terminal-socket.js';

export interface GatewayOptions {
  /** Origins besides the switchboard's own whose pages may open sockets (normalized, `scheme://host[:port]`). */
  allowedOrigins?: readonly string[];
}

export class Gateway {
  readonly #state: SwitchboardState;
  readonly #auth: AuthConfig;
  readonly #allowedOrigins: readonly string[];
  readonly #wss: WebSocketServer;
  readonly #sockets = new Set<TerminalSocket>();

  constructor(state: SwitchboardState, auth: AuthConfig, options: GatewayOptions = {}) {
    this.#state = state;
    this.#auth = auth;
    this.#allowedOrigins = options.allowedOrigins ?? [];
    this.#wss = new WebSocketServer({
      noServer: true,
      // An input frame is at most what an input record may be (1009 beyond).
      maxPayload: state.limits.maxRecordSize,
      // Compression would hold a zlib context per socket and hide how much is queued.
      perMessageDeflate: false,
      handleProtocols: (protocols) => selectProtocol(protocols),
      clientTracking: false,
    });
  }

  /** Serves upgrades on `server` (its connection cap counts upgraded sockets too). */
  serveUpgrades(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#onUpgrade(req, socket, head));
  }

  /** Live gateway sockets. */
  get sockets(): number {
    return this.#sockets.size;
  }

  /** Bytes waiting in the send buffers of all live sockets: bounded by the flow control. */
  get bufferedBytes(): number {
    let total = 0;
    for (const s of this.#sockets) total += s.bufferedBytes;
    return total;
  }

  async #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // A peer that resets before the handshake is routine; ws adds its own handler later.
    socket.on('error', (err) => this.#state.logger.debug({ err }, 'gateway connection error before the handshake'));
    try {
      await this.#route(req, socket, head);
    } catch (err) {
      const error = err instanceof SwitchboardHttpError ? err : undefined;
      if (!error) this.#state.logger.error({ err, url: req.url }, 'gateway upgrade failed');
      else if (error.status >= 500) this.#state.logger.warn({ status: error.status, body: error.body }, 'gateway upgrade failed');
      else this.#state.logger.debug({ status: error.status, body: error.body }, 'gateway upgrade refused');
      refuseUpgrade(socket, error ?? new SwitchboardHttpError('E_INTERNAL', 500, 'Internal error'));
    }
  }

  async #route(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const state = this.#state;
    const target = gatewayTarget(req.url ?? '/');
    if (!target) throw notFound('');
    const origin = checkOrigin(req.headers.origin, req.headers.host, this.#allowedOrigins);
    if (!origin.ok) {
      state.logger.warn({ origin: req.headers.origin, host: req.headers.host }, 'gateway upgrade from a foreign origin refused');
      throw forbidden(origin.reason);
    }
    const protocols = offeredProtocols(req.headers);
    const authorization = authorizationOf(req.headers, protocols);
    const principal = authenticate(authorization === undefined ? {} : { authorization }, this.#auth);
    // A browser that offered protocols fails a handshake that selects none.
    if (protocols.length > 0 && !protocols.includes(WS_SUBPROTOCOL)) throw badRequest(`Sec-WebSocket-Protocol must offer ${WS_SUBPROTOCOL}`);
    if (req.headers.upgrade?.toLowerCase() !== 'websocket') throw badRequest('Expecting Upgrade: websocket');
    if (!state.containers.registry.executorContainerId()) throw new SwitchboardHttpError('E_RECOVERING', 503, 'Agent has not finished recovery');
    const task = findTask(state, target.taskId);
    if (!task) throw notFound(`Task '${target.taskId}' is not known to this executor`);
    if (target.kind === 'exec') return this.#exec(req, socket, head, principal, task, target.query);
    return this.#attach(req, socket, head, principal, task, target.query);
  }

  async #exec(req: IncomingMessage, socket: Duplex, head: Buffer, principal: string, task: TaskView, query: URLSearchParams): Promise<void> {
    const state = this.#state;
    const request = parseExecQuery(query);
    this.#authorize(principal, 'LAUNCH_NESTED_CONTAINER_SESSION', task);
    checkSessionUser(state, principal, task, request.command);
    if (task.terminated) throw destroying(task.containerId);
    const id = { value: `ws-${randomUUID()}`, parent: task.containerId };
    // Launched before the handshake, so that a launch the agent would refuse is refused
    // with its status, not after a 101.
    const launched = await launchAuditedSession(state, { principal, task, id, command: request.command, tty: request.tty, transport: 'websocket' });
    if (!launched) throw new SwitchboardHttpError('E_INTERNAL', 500, `Session id ${id.value} was taken`);
    const upgraded = this.#upgrade(req, socket, head, (ws) => serveExec(state, ws, launched));
    if (!upgraded) {
      launched.logger.info('gateway client went away during the launch; destroying the session');
      launched.session.destroy();
    }
  }

  #attach(req: IncomingMessage, socket: Duplex, head: Buffer, principal: string, task: TaskView, query: URLSearchParams): void {
    const state = this.#state;
    const request = parseAttachQuery(query);
    this.#authorize(principal, 'ATTACH_CONTAINER_INPUT', task);
    this.#authorize(principal, 'ATTACH_CONTAINER_OUTPUT', task);
    if (!state.containers.terminalOf(task)) throw badRequest(`Task '${task.taskId}' has no terminal to attach to: attach needs a task launched with a TTY (ContainerInfo.tty_info); use exec instead`);
    const terminal = attachTarget(state, task.containerId, { kind: 'task', task });
    if (terminal.inputAttached) throw conflict('Multiple input connections are not allowed');
    let cutOff = (_reason: string): void => {};
    const slot = state.readers.admit(terminal.containerText, { cutOff: (reason) => cutOff(reason) });
    const grant: AttachGrant = { principal, task, terminal, slot, bindCutOff: (f) => (cutOff = f), tail: request.tail };
    if (!this.#upgrade(req, socket, head, (ws) => serveAttach(state, ws, grant))) slot.release();
  }

  #authorize(principal: string, call: CallName, task: TaskView): void {
    if (authorized(this.#state.acl, principal, call, task.taskId)) return;
    this.#state.logger.warn({ principal, call, task_id: task.taskId, transport: 'websocket' }, 'call not authorized by the ACL');
    throw forbidden();
  }

  /**
   * The handshake; false when it did not happen (a malformed handshake ws answered itself,
   * or a socket already gone). Without verifyClient ws completes it synchronously, so the
   * callback has run, or never will, once handleUpgrade returns.
   */
  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, serve: (ws: WebSocket) => TerminalSocket): boolean {
    let upgraded = false;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true;
      const terminal = serve(ws);
      this.#sockets.add(terminal);
      terminal.onEnd(() => this.#sockets.delete(terminal));
    });
    return upgraded;
  }
}

function findTask(state: SwitchboardState, taskId: string): TaskView | undefined {
  for (const task of state.containers.registry.tasks()) if (task.taskId === taskId) return task;
  return undefined;
}
