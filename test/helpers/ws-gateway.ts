// A client of the switchboard's WebSocket gateway for the tests and the benchmark: opens
// a socket the way the task page does (credentials as a subprotocol), collects what comes
// back, and reports a refused upgrade as its HTTP answer.
import WebSocket from 'ws';
import { WS_BASIC_PREFIX, WS_BEARER_PREFIX, WS_SUBPROTOCOL, type WsClientMessage, type WsServerMessage } from '../../contracts/ws-gateway.js';

export interface GatewayCredentials {
  token?: string;
  basic?: { principal: string; secret: string };
}

export interface OpenOptions extends GatewayCredentials {
  /** Sent as the Origin header (browsers always send one). */
  origin?: string;
  /** Overrides the offered subprotocols entirely. */
  protocols?: string[];
  headers?: Record<string, string>;
}

export interface Refused {
  refused: true;
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export function credentialProtocols(c: GatewayCredentials): string[] {
  if (c.token !== undefined) return [WS_SUBPROTOCOL, `${WS_BEARER_PREFIX}${Buffer.from(c.token).toString('base64url')}`];
  if (c.basic) return [WS_SUBPROTOCOL, `${WS_BASIC_PREFIX}${Buffer.from(`${c.basic.principal}:${c.basic.secret}`).toString('base64url')}`];
  return [WS_SUBPROTOCOL];
}

export class GatewaySocket {
  readonly ws: WebSocket;
  /** Terminal output so far (latin1, byte for byte). */
  output = '';
  outputBytes = 0;
  readonly messages: WsServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: (() => void)[] = [];

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        this.outputBytes += data.length;
        // Bulk tests count bytes; the text is kept only up to a MiB.
        if (this.output.length < 1 << 20) this.output += data.toString('latin1');
      } else this.messages.push(JSON.parse(data.toString('utf8')) as WsServerMessage);
      this.#notify();
    });
    ws.on('ping', () => this.#notify());
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      this.#notify();
    }));
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** Resolves once `cond` holds after some frame or ping; rejects if the socket closes first or after `ms`. */
  until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`${what} did not happen within ${ms} ms; output so far: ${JSON.stringify(this.output.slice(-300))}`)), ms);
      const check = (): void => {
        if (cond()) done();
        else if (this.ws.readyState === WebSocket.CLOSED) done(new Error(`socket closed before ${what}; output: ${JSON.stringify(this.output.slice(-300))}, messages: ${JSON.stringify(this.messages)}`));
      };
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== check);
        if (err) reject(err);
        else resolve();
      };
      this.#waiters.push(check);
      check();
    });
  }

  waitForOutput(text: string | RegExp, ms?: number): Promise<void> {
    return this.until(() => (typeof text === 'string' ? this.output.includes(text) : text.test(this.output)), `output ${String(text)}`, ms);
  }

  async message<T extends WsServerMessage['type']>(type: T, ms?: number): Promise<Extract<WsServerMessage, { type: T }>> {
    await this.until(() => this.messages.some((m) => m.type === type), `a '${type}' message`, ms);
    return this.messages.find((m) => m.type === type) as Extract<WsServerMessage, { type: T }>;
  }

  type(text: string | Buffer): void {
    this.ws.send(typeof text === 'string' ? Buffer.from(text) : text, { binary: true });
  }

  control(message: WsClientMessage): void {
    this.ws.send(JSON.stringify(message));
  }
}

/** `http://host:port` + a gateway path: the socket once open, or the refusal. */
export function openGateway(url: string, path: string, options: OpenOptions = {}): Promise<GatewaySocket | Refused> {
  const wsUrl = `${url.replace(/^http/, 'ws')}${path}`;
  const ws = new WebSocket(wsUrl, options.protocols ?? credentialProtocols(options), {
    ...(options.origin ? { origin: options.origin } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
    perMessageDeflate: false,
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(new GatewaySocket(ws)));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ refused: true, status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    ws.once('error', (err) => reject(err));
  });
}

export function isRefused(s: GatewaySocket | Refused): s is Refused {
  return 'refused' in s;
}

/** Opens and insists on success. */
export async function openOk(url: string, path: string, options: OpenOptions = {}): Promise<GatewaySocket> {
  const s = await openGateway(url, path, options);
  if (isRefused(s)) throw new Error(`upgrade refused: ${s.status} ${s.body}`);
  return s;
}
