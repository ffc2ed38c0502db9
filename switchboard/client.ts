// A small client of the switchboard (or any Mesos agent API) for the CLI, tests and the
// benchmark: plain calls, ProcessIO output streams and a streaming input body, all
// with backpressure (a record is only produced when the consumer pulls).
import http, { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { codecs, JSON_TYPE, RECORDIO_TYPE, type agent, type mesos, type MessageContentType } from '../proto/codec.js';
import { encodeRecord } from '../proto/recordio.js';
import { ProcessIOReader } from './process-io-reader.js';
import { itemsOf } from './record-stream.js';
import { SidecarError, UnexpectedAnswerError } from '../common/errors.js';
import { readBody } from '../common/read-body.js';
import { StreamCutError } from './errors.js';
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

export interface OutputStreamHandle {
  status: number;
  headers: IncomingHttpHeaders;
  response: IncomingMessage;
  records: AsyncGenerator<agent.ProcessIO>;
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
  readonly #target: { socketPath?: string; host?: string; port?: number };
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

  /** A request with our target and credentials; `headers` may override them. */
  open(method: string, path: string, headers: Record<string, string>): ClientRequest {
    const h: Record<string, string> = { ...(this.#auth ? { Authorization: this.#auth } : {}), ...headers };
    for (const [k, v] of Object.entries(h)) if (v === '') delete h[k];
    // A fresh connection per request: streams are long-lived and sessions die with them.
    return http.request({ ...this.#target, method, path, headers: h, agent: false });
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
   * A non-200 answer comes back with its body in `error`.
   */
  async openOutput(call: agent.Call, options: { encoding?: MessageContentType; messageEncoding?: MessageContentType; maxRecordSize?: number; headers?: Record<string, string> } = {}): Promise<OutputStreamHandle | RawResponse> {
    const encoding = options.encoding ?? JSON_TYPE;
    const messageEncoding = options.messageEncoding ?? encoding;
    const req = this.open('POST', this.apiPath, { ...options.headers, 'Content-Type': encoding, Accept: RECORDIO_TYPE, 'Message-Accept': messageEncoding });
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
      req.end(codecs.agent.Call.encode(call, encoding));
    });
    if (res.statusCode !== 200) return { status: res.statusCode!, headers: res.headers, body: await readBody(res, this.#maxResponseBody) };
    const recordEncoding = (res.headers['message-content-type'] ?? res.headers['content-type']) as MessageContentType;
    async function* records(): AsyncGenerator<agent.ProcessIO> {
      const reader = new ProcessIOReader(recordEncoding, options.maxRecordSize ?? 64 * 1024 * 1024);
      const decoder = { push: (chunk: Buffer) => reader.push(chunk), finish: () => reader.finish() };
      const source = itemsOf(res, decoder, (io) => io.data?.data?.length ?? 64, {
        // A reset mid-body can look like an end in Node; tell it apart from a real one.
        onEnd: () => {
          if (!res.complete) throw new StreamCutError('incomplete body');
        },
      });
      try {
        yield* source;
      } catch (err) {
        if (err instanceof SidecarError) throw err;
        throw new StreamCutError((err as Error).message);
      }
    }
    return { status: 200, headers: res.headers, response: res, records: records(), destroy: () => req.destroy() };
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
    const write = (call: agent.Call): Promise<void> =>
      new Promise((resolve) => {
        if (req.destroyed || req.writableEnded) return resolve();
        if (req.write(encodeRecord(codecs.agent.Call.encode(call, encoding)))) resolve();
        else req.once('drain', resolve);
      });
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

export function isOutputStream(x: OutputStreamHandle | RawResponse): x is OutputStreamHandle {
  return 'records' in x;
}

export const stdinRecord = (data: Buffer | string): agent.ProcessIO => ({ type: 'DATA', data: { type: 'STDIN', data: Buffer.isBuffer(data) ? data : Buffer.from(data) } });
export const ttyInfoRecord = (columns: number, rows: number): agent.ProcessIO => ({ type: 'CONTROL', control: { type: 'TTY_INFO', tty_info: { window_size: { rows, columns } } } });
export const heartbeatRecord = (intervalMs: number): agent.ProcessIO => ({ type: 'CONTROL', control: { type: 'HEARTBEAT', heartbeat: { interval: { nanoseconds: BigInt(intervalMs) * 1_000_000n } } } });
