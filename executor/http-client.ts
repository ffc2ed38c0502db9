// The HTTP/1.1 client the executor talks to its agent with, on node:http. Why not undici:
// its parser is WebAssembly, and compiling and running it costs the executor about 7 MiB
// of resident memory and tens of milliseconds before SUBSCRIBE (the agent waits only
// --executor_reregistration_timeout for executors after a restart), while node:http's
// parser is native code already in the node binary.
//
// One Client is one connection at a time (a keep-alive agent with a single socket):
// requests queue behind each other like they did on undici's Client with pipelining 1,
// so calls reach the agent in the order they were made.
//
// With LIBPROCESS_SSL_ENABLED the connections are TLS (tls-connector.ts, handed in
// already loaded so that a plain executor never loads node:tls); everything else stays
// the same, and a TLS failure comes out as an AgentTlsError naming the setting to fix.
import { EventEmitter } from 'node:events';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { TlsConnector } from './tls-connector.js';

export interface ClientOptions {
  /** Talk over this unix socket instead of TCP (MESOS_DOMAIN_SOCKET). */
  socketPath?: string;
  /**
   * A request fails when its connection stays silent this long, waiting for the
   * answer's head or between pieces of its body. 0: never (the event stream).
   */
  idleTimeoutMs: number;
  /** Speak TLS (an https origin); ignored with socketPath, which is always plain HTTP. */
  tls?: TlsConnector;
}

export interface RequestOptions {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Bytes of an answer's body that text() keeps; the rest is read and dropped. */
export const MAX_TEXT_BYTES = 64 * 1024;

/** The body of an answer, read exactly once: as text, as a stream, or thrown away. */
export class ResponseBody implements AsyncIterable<Buffer> {
  readonly #res: IncomingMessage;

  constructor(res: IncomingMessage) {
    this.#res = res;
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return this.#res[Symbol.asyncIterator]();
  }

  /** The body as UTF-8, cut at MAX_TEXT_BYTES: it only ever goes into errors and logs. */
  async text(): Promise<string> {
    const kept: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.#res as AsyncIterable<Buffer>) {
      if (size >= MAX_TEXT_BYTES) continue;
      const piece = chunk.subarray(0, MAX_TEXT_BYTES - size);
      kept.push(piece);
      size += piece.length;
    }
    return Buffer.concat(kept, size).toString('utf8');
  }

  destroy(): void {
    this.#res.destroy();
  }
}

export interface ResponseData {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: ResponseBody;
}

/** The connection went silent for longer than ClientOptions.idleTimeoutMs. */
export class HttpTimeoutError extends Error {
  readonly code = 'E_HTTP_TIMEOUT';
}

/** Events: 'connect' each time a new connection to the agent is established. */
export class Client extends EventEmitter {
  readonly #origin: URL;
  readonly #options: ClientOptions;
  readonly #agent: http.Agent;
  readonly #tls: TlsConnector | undefined;
  readonly #inFlight = new Set<http.ClientRequest>();
  #destroyed = false;

  constructor(origin: string, options: ClientOptions) {
    super();
    this.#origin = new URL(origin);
    this.#options = options;
    this.#tls = options.socketPath ? undefined : options.tls;
    // A TLS connection counts as made once the handshake and our checks passed: a
    // reachable port with a certificate we refuse is no agent.
    this.#agent = this.#tls ? this.#tls.createAgent(() => this.emit('connect')) : new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  /** Resolves once the answer's head is in; the body is the caller's to read or destroy. */
  request(options: RequestOptions): Promise<ResponseData> {
    if (this.#destroyed) return Promise.reject(new Error('client is destroyed'));
    return new Promise((resolve, reject) => {
      const tls = this.#tls;
      const req = (tls ? tls.request : http.request)({
        agent: this.#agent,
        method: options.method,
        path: options.path,
        headers: { ...options.headers, 'content-length': String(options.body.length) },
        ...(this.#options.socketPath
          ? { socketPath: this.#options.socketPath }
          : { host: this.#origin.hostname.replace(/^\[|\]$/g, ''), port: this.#origin.port || (tls ? 443 : 80) }),
      });
      this.#inFlight.add(req);
      req.once('close', () => this.#inFlight.delete(req));
      req.once('error', (err) => reject(tls ? tls.classify(err) : err));
      req.once('socket', (socket: Socket) => {
        if (!tls && socket.connecting) socket.once('connect', () => this.emit('connect'));
      });
      let response: IncomingMessage | undefined;
      const timeout = this.#options.idleTimeoutMs;
      if (timeout > 0) {
        req.setTimeout(timeout, () => {
          const err = new HttpTimeoutError(`no answer from ${this.#origin.host} for ${timeout} ms`);
          // Whoever reads the body must learn why it broke, not just that it did.
          if (response && !response.complete) response.destroy(err);
          req.destroy(err);
        });
      }
      req.once('response', (res: IncomingMessage) => {
        response = res;
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: new ResponseBody(res) });
      });
      req.end(options.body);
    });
  }

  /** Aborts whatever is in flight (their promises and bodies fail) and closes the connection. */
  destroy(): void {
    this.#destroyed = true;
    for (const req of this.#inFlight) req.destroy();
    this.#inFlight.clear();
    this.#agent.destroy();
  }
}
