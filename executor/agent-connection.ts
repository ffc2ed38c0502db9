// The executor's two HTTP connections to the agent (executor-api.md §2, §3, §8): one that
// carries only SUBSCRIBE and its endless RecordIO event stream, and one for every other
// call. Each attempt gets a fresh generation number; anything an older attempt reports
// afterwards (a late event, an error from a destroyed socket) is dropped. The connection's
// state lives here alone; the rest of the executor learns of it from ConnectionEvents.
import { Client, type ResponseData } from './http-client.js';
import type { TlsConnector } from './tls-connector.js';
import type { Clock, TimerHandle } from '../common/clock.js';
import { AgentTlsError, SidecarError, UnexpectedAnswerError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { codecs, type executor, type MessageContentType } from '../proto/codec.js';
import { DEFAULT_MAX_RECORD_SIZE, readRecords } from '../proto/recordio.js';

/** SUBSCRIBE is resent this long after an answer other than 200 (built-in executors: 1 s). */
export const SUBSCRIBE_RETRY_MS = 1000;

/** Distinct TLS failures remembered so that each is logged once, not once per retry. */
export const TLS_FAILURES_REMEMBERED = 64;

/** Longest run of event handling before the event loop gets a turn (p99 delay target: 50 ms). */
export const EVENT_SLICE_MS = 10;

/** A call (UPDATE, MESSAGE, HEARTBEAT) without an answer this long has failed. */
export const CALL_TIMEOUT_MS = 10_000;

export type ConnectionState =
  | { kind: 'disconnected' }
  /** SUBSCRIBE sent on a fresh connection, no answer yet. */
  | { kind: 'connecting'; generation: number }
  /** The agent is reachable (TCP up) but has not accepted SUBSCRIBE yet (e.g. 503). */
  | { kind: 'connected'; generation: number }
  /** 200 received, waiting for the SUBSCRIBED event. */
  | { kind: 'subscribing'; generation: number }
  | { kind: 'subscribed'; generation: number }
  | { kind: 'closed' };

/** The event stream broke in a way that is not a clean EOF. */
export class EventStreamError extends SidecarError {
  readonly code = 'E_EVENT_STREAM';
}

export interface DisconnectInfo {
  reason: string;
  /** The agent was reachable during this attempt (upstream: TCP connected). */
  connected: boolean;
  /** SUBSCRIBED had been received on this attempt. */
  subscribed: boolean;
}

/** What the connection tells its owner, in the order it happens on one attempt. */
export type ConnectionEvent<S> =
  /** TCP to the agent is up (upstream's `connected`): the agent is reachable again. */
  | { type: 'connected'; generation: number }
  /**
   * SUBSCRIBED arrived on this attempt's stream; `carried` is what the SUBSCRIBE it answers
   * was built with. Emitted before the SUBSCRIBED event itself is handed to onEvent.
   */
  | { type: 'subscribed'; generation: number; carried: S }
  | { type: 'disconnected'; cause: DisconnectInfo };

/** A SUBSCRIBE call and the state it was built from, returned to the owner on SUBSCRIBED. */
export interface SubscribeRequest<S> {
  call: executor.Call;
  carried: S;
}

/** What the executor needs of its agent link; the real one is AgentConnection. */
export interface AgentTransport {
  readonly state: ConnectionState;
  connect(delayMs?: number): void;
  close(): void;
  call(call: executor.Call): Promise<void>;
}

export interface AgentConnectionOptions<S> {
  agentUrl: string;
  apiPath: string;
  socketPath?: string;
  contentType: MessageContentType;
  authToken?: string;
  /** TLS for both connections (an https agentUrl). */
  tls?: TlsConnector;
  maxEventSize?: number;
  clock: Clock;
  logger: Logger;
  /** Builds the SUBSCRIBE call at the moment it is sent (it carries the unacknowledged state). */
  buildSubscribe: () => SubscribeRequest<S>;
  onEvent: (event: executor.Event) => void;
  onConnection: (event: ConnectionEvent<S>) => void;
}

export class AgentConnection<S> implements AgentTransport {
  readonly #o: AgentConnectionOptions<S>;
  readonly #log: Logger;
  #state: ConnectionState = { kind: 'disconnected' };
  #generation = 0;
  #subscriptionClient: Client | undefined;
  #callClient: Client | undefined;
  /** What the SUBSCRIBE last sent on this generation carried. */
  #carried: { generation: number; carried: S } | undefined;
  #retryTimer: TimerHandle | undefined;
  /** TLS failures already logged (code and message), oldest first. */
  readonly #tlsFailuresLogged = new Set<string>();

  constructor(options: AgentConnectionOptions<S>) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'agent-connection' });
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Opens both connections and subscribes, after `delayMs`. */
  connect(delayMs = 0): void {
    if (this.#state.kind === 'closed') return;
    this.#o.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = this.#o.clock.setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#attempt();
    }, delayMs);
  }

  /** Drops both connections for good. */
  close(): void {
    this.#o.clock.clearTimeout(this.#retryTimer);
    this.#generation++;
    this.#destroyClients();
    this.#state = { kind: 'closed' };
  }

  /** Sends a non-SUBSCRIBE call on the call connection; rejects on non-2xx or transport error. */
  async call(call: executor.Call): Promise<void> {
    const client = this.#callClient;
    if (!client || this.#state.kind !== 'subscribed') throw new EventStreamError(`cannot send ${call.type}: not subscribed`);
    const body = codecs.executor.Call.encode(call, this.#o.contentType);
    const res = await client.request({ method: 'POST', path: this.#o.apiPath, headers: this.#headers(false), body });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode > 299) throw new UnexpectedAnswerError('agent', res.statusCode, text, call.type ?? 'call');
  }

  #headers(subscribe: boolean): Record<string, string> {
    const h: Record<string, string> = { 'content-type': this.#o.contentType };
    if (subscribe) h.accept = this.#o.contentType;
    if (this.#o.authToken) h.authorization = `Bearer ${this.#o.authToken}`;
    return h;
  }

  #newClient(generation: number, kind: 'subscription' | 'calls', onConnect?: () => void): Client {
    const origin = this.#o.socketPath ? 'http://localhost' : this.#o.agentUrl;
    // The event stream is silent for up to 30 minutes between heartbeats: no timeouts
    // there. A call the agent never answers, though, must fail so that it is retried
    // instead of holding its task's updates back forever.
    const timeout = kind === 'subscription' ? 0 : CALL_TIMEOUT_MS;
    const client = new Client(origin, {
      ...(this.#o.socketPath ? { socketPath: this.#o.socketPath } : {}),
      ...(this.#o.tls ? { tls: this.#o.tls } : {}),
      idleTimeoutMs: timeout,
    });
    if (onConnect) client.on('connect', () => generation === this.#generation && onConnect());
    return client;
  }

  #destroyClients(): void {
    const clients = [this.#subscriptionClient, this.#callClient];
    this.#subscriptionClient = undefined;
    this.#callClient = undefined;
    for (const c of clients) c?.destroy();
  }

  async #attempt(): Promise<void> {
    if (this.#state.kind === 'closed') return;
    this.#destroyClients();
    const generation = ++this.#generation;
    this.#carried = undefined;
    this.#subscriptionClient = this.#newClient(generation, 'subscription', () => {
      if (this.#state.kind === 'connecting') this.#state = { kind: 'connected', generation };
      this.#o.onConnection({ type: 'connected', generation });
    });
    this.#callClient = this.#newClient(generation, 'calls');
    this.#state = { kind: 'connecting', generation };
    await this.#subscribe(generation);
  }

  /** SUBSCRIBE again on the same connection after SUBSCRIBE_RETRY_MS (a refusal, or our own encoding failure). */
  #resubscribeLater(generation: number): void {
    this.#state = { kind: 'connected', generation };
    this.#retryTimer = this.#o.clock.setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#subscribe(generation);
    }, SUBSCRIBE_RETRY_MS);
  }

  async #subscribe(generation: number): Promise<void> {
    const client = this.#subscriptionClient;
    if (!client || generation !== this.#generation) return;
    const log = this.#log.child({ generation });
    let body: Buffer;
    try {
      const request = this.#o.buildSubscribe();
      body = codecs.executor.Call.encode(request.call, this.#o.contentType);
      this.#carried = { generation, carried: request.carried };
    } catch (err) {
      // buildSubscribe leaves out what cannot be encoded, so this is our bug; throwing here
      // would end the process and every task with it. Try again as after a refusal.
      log.error({ err }, `cannot encode SUBSCRIBE; retrying in ${SUBSCRIBE_RETRY_MS} ms`);
      this.#resubscribeLater(generation);
      return;
    }
    let res: ResponseData;
    try {
      res = await client.request({ method: 'POST', path: this.#o.apiPath, headers: this.#headers(true), body });
    } catch (err) {
      let repeated = false;
      // A TLS failure is not "connected" (a recovery timer keeps running), but not "never
      // reached" either: what fails is a certificate or setting, which an operator fixes
      // while we retry. Without this, a bad certificate at start would end the executor.
      const tls = err instanceof AgentTlsError;
      if (tls) repeated = !this.#logTlsFailure(err);
      this.#disconnected(generation, `SUBSCRIBE failed: ${(err as Error).message}`, repeated ? 'debug' : 'warn', tls);
      return;
    }
    if (generation !== this.#generation) {
      res.body.destroy();
      return;
    }
    if (res.statusCode !== 200) {
      const text = await res.body.text().catch(() => '');
      // 503 (agent recovering) and 404 (agent not ready) mean "later"; anything else is
      // unexpected, but the only useful reaction is the same: try again.
      const level = res.statusCode === 503 || res.statusCode === 404 ? 'info' : 'error';
      log[level]({ status: res.statusCode, body: text.slice(0, 500) }, 'agent refused SUBSCRIBE; resending in 1 s');
      if (generation !== this.#generation) return;
      this.#resubscribeLater(generation);
      return;
    }
    const responseType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (responseType !== this.#o.contentType) {
      log.warn({ contentType: responseType }, 'agent answered SUBSCRIBE in a different content type than requested');
    }
    this.#state = { kind: 'subscribing', generation };
    try {
      let sliceStart = performance.now();
      for await (const record of readRecords(res.body, { maxRecordSize: this.#o.maxEventSize ?? DEFAULT_MAX_RECORD_SIZE })) {
        // One read can hold hundreds of events, all handled without leaving this loop:
        // after EVENT_SLICE_MS of them, let timers and other sockets have a turn.
        if (performance.now() - sliceStart > EVENT_SLICE_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          sliceStart = performance.now();
        }
        if (generation !== this.#generation) return;
        // The agent never sends empty records; one carries no event, so it changes nothing.
        if (record.length === 0) continue;
        let event: executor.Event;
        try {
          event = codecs.executor.Event.decode(record, this.#o.contentType);
        } catch (err) {
          // Upstream stalls the stream here; re-subscribing is the only way to get events again.
          log.error({ err, bytes: record.length }, 'undecodable event from the agent; dropping the connection');
          this.#disconnected(generation, `undecodable event: ${(err as Error).message}`);
          return;
        }
        if (event.type === 'SUBSCRIBED') {
          // Without it there is no container id (parent of the tasks' containers) and no
          // framework capabilities: acting half-subscribed is worse than asking again.
          if (!event.subscribed) {
            log.error('SUBSCRIBED event without its subscribed payload; dropping the connection');
            this.#disconnected(generation, 'protocol error: SUBSCRIBED event without subscribed');
            return;
          }
          this.#state = { kind: 'subscribed', generation };
          const carried = this.#carried;
          // #carried is set before the request that this stream answers is sent.
          if (carried?.generation === generation) this.#o.onConnection({ type: 'subscribed', generation, carried: carried.carried });
          if (generation !== this.#generation) return;
        }
        this.#o.onEvent(event);
      }
      if (generation === this.#generation) this.#disconnected(generation, 'event stream ended');
    } catch (err) {
      if (generation !== this.#generation) return;
      log.error({ err }, 'event stream broken; dropping the connection');
      this.#disconnected(generation, `event stream broken: ${(err as Error).message}`);
    }
  }

  /**
   * A certificate problem repeats on every retry until an operator acts: say it once,
   * loudly, with the setting to change; the retries themselves go on as for any outage.
   * Returns false when this failure had been logged already.
   */
  #logTlsFailure(err: AgentTlsError): boolean {
    const key = `${err.tlsCode}\0${(err.cause as Error).message}`;
    if (this.#tlsFailuresLogged.has(key)) return false;
    if (this.#tlsFailuresLogged.size >= TLS_FAILURES_REMEMBERED) {
      this.#tlsFailuresLogged.delete(this.#tlsFailuresLogged.values().next().value!);
    }
    this.#tlsFailuresLogged.add(key);
    this.#log.error({ variable: err.variable, tls_code: err.tlsCode, tls_error: (err.cause as Error).message }, err.message);
    return true;
  }

  #disconnected(generation: number, reason: string, level: 'warn' | 'debug' = 'warn', reached = false): void {
    if (generation !== this.#generation || this.#state.kind === 'closed') return;
    const subscribed = this.#state.kind === 'subscribed';
    // Every state after 'connecting' means the agent answered on this attempt.
    const connected = reached || (this.#state.kind !== 'connecting' && this.#state.kind !== 'disconnected');
    this.#generation++;
    this.#destroyClients();
    this.#state = { kind: 'disconnected' };
    this.#log[level]({ reason, connected, subscribed }, 'disconnected from the agent');
    this.#o.onConnection({ type: 'disconnected', cause: { reason, connected, subscribed } });
  }
}
