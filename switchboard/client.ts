// A small client of the switchboard (or any Mesos agent API) for the CLI, tests and the
// benchmark: plain calls, ProcessIO output streams and a streaming input body, all
// with backpressure (a record is only produced when the consumer pulls).
import http, { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { codecs, JSON_TYPE, RECORDIO_TYPE, type agent, type mesos, type MessageContentType } from '../proto/codec.js';
import { encodeRecord } from '../proto/recordio.js';
import { ProcessIOReader } from './process-io-reader.js';
import { streamRequest, type BodyChunk, type StreamTarget } from './stream-request.js';
import { UnexpectedAnswerError } from '../common/errors.js';
import { keepAlive } from '../common/keepalive.js';
import { readBody } from '../common/read-body.js';
import type { TaskEntry } from './task-listing.js';

export interface ClientOptions {
  /** `http://host:port` or `unix:/path/to/socket`. */
  url: string;
  token?: string;
  principal?: string;
  secret?: string;
  /** Bound on a whole answer's body (not on streams); default DEFAULT_MAX_RESPONSE_BODY. */
  maxResponseBody?: number;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A record whose bytes may lie in a read buffer that is read into again once let go. */
export interface LeasedRecord {
  io: agent.ProcessIO;
  /** Keeps the record's bytes valid past the next pull; call what it returns once done with them. */
  keep(): () => void;
}

export interface OutputStreamHandle {
  status: number;
  headers: IncomingHttpHeaders;
  /** The records, theirs to keep. Read either these or `leasedRecords`, once. */
  records: AsyncGenerator<agent.ProcessIO>;
  /** The records without a copy of their bytes: each is valid until the next pull unless kept. */
  leasedRecords: AsyncGenerator<LeasedRecord>;
  /** Drops the connection (for a session: kills it). */
  destroy(): void;
}

export interface InputStreamHandle {
  /** Sends one record; resolves once the socket accepted it (backpressure). */
  send(io: agent.ProcessIO): Promise<void>;
  /** Ends the request body. */
  end(): void;
  destroy(): void;
  /** The single answer of the input call. */
  response: Promise<RawResponse>;
}

/** The largest whole (non-streaming) answer the client reads by default: a /tasks listing, a /files/read chunk. */
export const DEFAULT_MAX_RESPONSE_BODY = 64 * 1024 * 1024;

export class SwitchboardClient {
  readonly #target: StreamTarget;
  readonly #auth: string | undefined;
  readonly #maxResponseBody: number;
  readonly apiPath = '/api/v1';

  constructor(options: ClientOptions) {
    if (options.url.startsWith('unix:')) this.#target = { socketPath: options.url.slice('unix:'.length) };
    else {
      const u = new URL(options.url);
      this.#target = { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80) };
    }
    this.#maxResponseBody = options.maxResponseBody ?? DEFAULT_MAX_RESPONSE_BODY;
    if (options.token) this.#auth = `Bearer ${options.token}`;
    else if (options.principal !== undefined) this.#auth = `Basic ${Buffer.from(`${options.principal}:${options.secret ?? ''}`).toString('base64')}`;
  }

  /** Our credentials and `headers`, which may override them (an empty value drops one). */
  #headers(headers: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { ...(this.#auth ? { Authorization: this.#auth } : {}), ...headers };
    for (const [k, v] of Object.entries(h)) if (v === '') delete h[k];
    return h;
  }

  /** A request with our target and credentials; `headers` may override them. */
  open(method: string, path: string, headers: Record<string, string>): ClientRequest {
    // A fresh connection per request: streams are long-lived and sessions die with them.
    const req = http.request({ ...this.#target, method, path, headers: this.#headers(headers), agent: false });
    req.once('socket', keepAlive);
    return req;
  }

  async raw(method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<RawResponse> {
    const req = this.open(method, path, headers);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
      req.end(body);
    });
    return { status: res.statusCode!, headers: res.headers, body: await readBody(res, this.#maxResponseBody) };
  }

  /** A non-streaming agent call. */
  call(call: agent.Call, encoding: MessageContentType = JSON_TYPE): Promise<RawResponse> {
    return this.raw('POST', this.apiPath, { 'Content-Type': encoding, Accept: encoding }, codecs.agent.Call.encode(call, encoding));
  }

  /** GET /tasks; fields beyond task_id, container_id, tty and terminated may be absent from older switchboards. */
  async tasks(): Promise<{ executor_container_id: mesos.ContainerID | null; tasks: TaskEntry[] }> {
    const res = await this.raw('GET', '/tasks', { Accept: JSON_TYPE });
    if (res.status !== 200) throw new UnexpectedAnswerError('switchboard', res.status, res.body.toString(), 'GET /tasks');
    return JSON.parse(res.body.toString());
  }

  /** GET_CONTAINERS: the containers with their status and statistics. */
  async containers(options: { showNested?: boolean; encoding?: MessageContentType } = {}): Promise<agent.Response.GetContainers.Container[]> {
    const encoding = options.encoding ?? JSON_TYPE;
    const res = await this.call({ type: 'GET_CONTAINERS', get_containers: { show_nested: options.showNested ?? false } }, encoding);
    if (res.status !== 200) throw new UnexpectedAnswerError('switchboard', res.status, res.body.toString(), 'GET_CONTAINERS');
    return codecs.agent.Response.decode(res.body, encoding).get_containers?.containers ?? [];
  }

  /** WAIT_CONTAINER (or WAIT_NESTED_CONTAINER): the raw wait status, undefined if unknown. */
  async wait(containerId: mesos.ContainerID, type: 'WAIT_CONTAINER' | 'WAIT_NESTED_CONTAINER' = 'WAIT_CONTAINER', encoding: MessageContentType = JSON_TYPE): Promise<number | undefined> {
    const call: agent.Call = type === 'WAIT_CONTAINER' ? { type, wait_container: { container_id: containerId } } : { type, wait_nested_container: { container_id: containerId } };
    const res = await this.call(call, encoding);
    if (res.status !== 200) throw new UnexpectedAnswerError('switchboard', res.status, res.body.toString(), type);
    const response = codecs.agent.Response.decode(res.body, encoding);
    return (response.wait_container ?? response.wait_nested_container)?.exit_status;
  }

  /**
   * LAUNCH_NESTED_CONTAINER_SESSION or ATTACH_CONTAINER_OUTPUT with a RecordIO response.
   * A non-200 answer comes back whole, as a RawResponse.
   */
  async openOutput(call: agent.Call, options: { encoding?: MessageContentType; messageEncoding?: MessageContentType; maxRecordSize?: number; headers?: Record<string, string> } = {}): Promise<OutputStreamHandle | RawResponse> {
    const encoding = options.encoding ?? JSON_TYPE;
    const messageEncoding = options.messageEncoding ?? encoding;
    const res = await streamRequest(this.#target, {
      method: 'POST',
      path: this.apiPath,
      headers: this.#headers({ ...options.headers, 'Content-Type': encoding, Accept: RECORDIO_TYPE, 'Message-Accept': messageEncoding }),
      body: codecs.agent.Call.encode(call, encoding),
    });
    if (res.status !== 200) {
      try {
        return { status: res.status, headers: res.headers, body: await readBody(copies(res.body), this.#maxResponseBody) };
      } finally {
        // A refused answer over its bound leaves its connection: drop it.
        res.destroy();
      }
    }
    const recordEncoding = (res.headers['message-content-type'] ?? res.headers['content-type']) as MessageContentType;
    const reader = new ProcessIOReader(recordEncoding, options.maxRecordSize ?? 64 * 1024 * 1024);
    let consumed = false;
    async function* leasedRecords(): AsyncGenerator<LeasedRecord> {
      if (consumed) throw new Error('the output stream is read once: records or leasedRecords');
      consumed = true;
      // A record's bytes may lie in the read buffer its chunk came in: it is valid while
      // that chunk is held, i.e. until the consumer pulls again.
      try {
        for await (const { chunk, lease } of res.body) {
          const keep = () => lease.retain();
          for (const io of reader.push(chunk)) yield { io, keep };
        }
        reader.finish();
      } catch (err) {
        // A broken record stream (or a cut connection) ends the stream for good.
        res.destroy();
        throw err;
      }
    }
    async function* records(): AsyncGenerator<agent.ProcessIO> {
      for await (const { io } of leasedRecords()) yield io.type === 'DATA' && io.data?.data ? { ...io, data: { ...io.data, data: Buffer.from(io.data.data) } } : io;
    }
    return { status: 200, headers: res.headers, records: records(), leasedRecords: leasedRecords(), destroy: () => res.destroy() };
  }

  /** ATTACH_CONTAINER_INPUT as a chunked RecordIO body; the CONTAINER_ID record goes first. */
  openInput(containerId: mesos.ContainerID, encoding: MessageContentType = JSON_TYPE): InputStreamHandle {
    const req = this.open('POST', this.apiPath, {
      'Content-Type': RECORDIO_TYPE,
      'Message-Content-Type': encoding,
      Accept: encoding,
      'Transfer-Encoding': 'chunked',
    });
    req.setNoDelay(true);
    const response = new Promise<RawResponse>((resolve, reject) => {
      req.on('response', (res) => readBody(res, this.#maxResponseBody).then((body) => resolve({ status: res.statusCode!, headers: res.headers, body }), reject));
      req.on('error', reject);
    });
    // The caller decides what a failed input means; never an unhandled rejection.
    response.catch(() => {});
    // Every send made while the request is full waits for the same drain (one listener,
    // however many sends are in flight); a request that closes instead lets them all go.
    let drained: Promise<void> | undefined;
    const write = (call: agent.Call): Promise<void> => {
      if (req.destroyed || req.writableEnded) return Promise.resolve();
      if (req.write(encodeRecord(codecs.agent.Call.encode(call, encoding)))) return Promise.resolve();
      drained ??= new Promise<void>((resolve) => {
        const done = (): void => {
          req.off('drain', done);
          req.off('close', done);
          drained = undefined;
          resolve();
        };
        req.on('drain', done);
        req.on('close', done);
      });
      return drained;
    };
    void write({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID', container_id: containerId } });
    return {
      send: (io) => write({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'PROCESS_IO', process_io: io } }),
      end: () => {
        if (!req.destroyed && !req.writableEnded) req.end();
      },
      destroy: () => req.destroy(),
      response,
    };
  }
}

/** Body chunks copied out of their read buffers, for a reader that keeps them all. */
async function* copies(body: AsyncIterable<BodyChunk>): AsyncGenerator<Buffer> {
  for await (const { chunk } of body) yield Buffer.from(chunk);
}

export function isOutputStream(x: OutputStreamHandle | RawResponse): x is OutputStreamHandle {
  return 'records' in x;
}

export const stdinRecord = (data: Buffer | string): agent.ProcessIO => ({ type: 'DATA', data: { type: 'STDIN', data: Buffer.isBuffer(data) ? data : Buffer.from(data) } });
export const ttyInfoRecord = (columns: number, rows: number): agent.ProcessIO => ({ type: 'CONTROL', control: { type: 'TTY_INFO', tty_info: { window_size: { rows, columns } } } });
export const heartbeatRecord = (intervalMs: number): agent.ProcessIO => ({ type: 'CONTROL', control: { type: 'HEARTBEAT', heartbeat: { interval: { nanoseconds: BigInt(intervalMs) * 1_000_000n } } } });
