// One HTTP/1.1 response read off a byte stream, for a client that wants the body in the
// slices it arrived in: Node's HTTP client copies every body byte out of the socket's read
// (llhttp's body callback makes a new Buffer of it), which was a fifth of exec's client
// CPU. The head is bounded; the body is framed by chunked transfer coding, Content-Length
// or the connection's close (RFC 9112 §6.3), and every line a peer sends has a bound.
import type { IncomingHttpHeaders } from 'node:http';
import { SidecarError } from './errors.js';

export class HttpResponseError extends SidecarError {
  constructor(
    readonly code: 'E_HTTP_HEAD' | 'E_HTTP_FRAMING' | 'E_HTTP_TRUNCATED',
    message: string,
  ) {
    super(message);
  }
}

export interface ResponseHead {
  status: number;
  /** Lower-case names; repeated fields joined with ", " (set-cookie kept as a list), as Node does. */
  headers: IncomingHttpHeaders;
}

export interface ResponseSink {
  head(head: ResponseHead): void;
  /** A slice of the buffer being pushed: valid for as long as that buffer is. */
  body(slice: Buffer): void;
  /** The body's framing says it is complete. */
  end(): void;
}

/** Status line and fields, as Node's default --max-http-header-size. */
export const MAX_HEAD_BYTES = 16 * 1024;
/** A chunk-size line with its extensions; trailers share MAX_HEAD_BYTES. */
export const MAX_CHUNK_LINE_BYTES = 1024;
// 13 hex digits stay below 2^53: a chunk size is a safe integer.
const MAX_CHUNK_SIZE_DIGITS = 13;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.[01] ([1-9]\d\d)(?: [^\r\n]*)?$/;

type State =
  | { kind: 'head'; text: string }
  | { kind: 'chunk-size'; line: string }
  | { kind: 'chunk-data'; remaining: number }
  | { kind: 'chunk-end'; seen: string }
  | { kind: 'trailers'; line: string; size: number }
  | { kind: 'length'; remaining: number }
  | { kind: 'until-close' }
  | { kind: 'done' };

const headError = (message: string) => new HttpResponseError('E_HTTP_HEAD', message);
const framingError = (message: string) => new HttpResponseError('E_HTTP_FRAMING', message);

/** Status and fields of a head (without its final empty line). */
export function parseResponseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const status = STATUS_LINE.exec(lines[0]!);
  if (!status) throw headError(`not an HTTP/1.1 status line: ${JSON.stringify(lines[0]!.slice(0, 80))}`);
  const headers: IncomingHttpHeaders = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    // Folded lines (obs-fold) and names with spaces are refused, as by llhttp.
    if (colon <= 0 || !TOKEN.test(name)) throw headError(`malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
    const value = line.slice(colon + 1).trim();
    if (name === 'set-cookie') (headers['set-cookie'] ??= []).push(value);
    else {
      const before = headers[name];
      headers[name] = before === undefined ? value : `${before as string}, ${value}`;
    }
  }
  return { status: Number(status[1]), headers };
}

/** How the body of a response to a non-HEAD request ends (RFC 9112 §6.3). */
export function bodyFraming(head: ResponseHead): { kind: 'none' } | { kind: 'chunked' } | { kind: 'length'; length: number } | { kind: 'until-close' } {
  if (head.status === 204 || head.status === 304) return { kind: 'none' };
  const te = head.headers['transfer-encoding'];
  if (te !== undefined) {
    const codings = (te as string).split(',').map((c) => c.trim().toLowerCase());
    return codings[codings.length - 1] === 'chunked' ? { kind: 'chunked' } : { kind: 'until-close' };
  }
  const cl = head.headers['content-length'];
  if (cl !== undefined) {
    const values = new Set((cl as string).split(',').map((v) => v.trim()));
    const [only] = values;
    if (values.size !== 1 || !/^\d{1,15}$/.test(only!)) throw headError(`bad Content-Length: ${JSON.stringify(cl)}`);
    const length = Number(only);
    return length === 0 ? { kind: 'none' } : { kind: 'length', length };
  }
  return { kind: 'until-close' };
}

export class Http1ResponseReader {
  #state: State = { kind: 'head', text: '' };
  #failure: HttpResponseError | undefined;
  readonly #sink: ResponseSink;

  constructor(sink: ResponseSink) {
    this.#sink = sink;
  }

  /** The body is complete (bytes after it are ignored: the connection is not reused). */
  get complete(): boolean {
    return this.#state.kind === 'done';
  }

  /** Feeds bytes read off the connection; throws an HttpResponseError once they break HTTP. */
  push(buf: Buffer): void {
    if (this.#failure) throw this.#failure;
    try {
      this.#push(buf);
    } catch (err) {
      if (err instanceof HttpResponseError) this.#failure = err;
      throw err;
    }
  }

  /** At the connection's end: a body that ends with it ends; anything else was cut off. */
  finish(): void {
    if (this.#failure) throw this.#failure;
    const state = this.#state;
    if (state.kind === 'until-close') {
      this.#state = { kind: 'done' };
      this.#sink.end();
    } else if (state.kind !== 'done') {
      this.#failure = new HttpResponseError('E_HTTP_TRUNCATED', `the connection closed inside the response ${state.kind === 'head' ? 'head' : 'body'}`);
      throw this.#failure;
    }
  }

  #push(buf: Buffer): void {
    let i = 0;
    while (i < buf.length) {
      const state: State = this.#state;
      switch (state.kind) {
        case 'head': {
          const from = Math.max(0, state.text.length - 3);
          const take = Math.min(buf.length - i, MAX_HEAD_BYTES + 4 - state.text.length);
          const text = state.text + buf.toString('latin1', i, i + take);
          const end = text.indexOf('\r\n\r\n', from);
          if (end < 0) {
            if (text.length > MAX_HEAD_BYTES) throw headError(`response head exceeds ${MAX_HEAD_BYTES} bytes`);
            state.text = text;
            i += take;
            break;
          }
          i += end + 4 - state.text.length;
          this.#startBody(parseResponseHead(text.slice(0, end)));
          break;
        }
        case 'chunk-size': {
          const line = this.#line(state.line, buf, i, MAX_CHUNK_LINE_BYTES, 'chunk-size line');
          i = line.next;
          if (line.text === undefined) {
            state.line = line.partial;
            break;
          }
          const size = /^([0-9A-Fa-f]+)[ \t]*(?:;.*)?$/.exec(line.text);
          if (!size || size[1]!.length > MAX_CHUNK_SIZE_DIGITS) throw framingError(`bad chunk-size line: ${JSON.stringify(line.text.slice(0, 40))}`);
          const n = parseInt(size[1]!, 16);
          this.#state = n === 0 ? { kind: 'trailers', line: '', size: 0 } : { kind: 'chunk-data', remaining: n };
          break;
        }
        case 'chunk-data':
          i = this.#passBody(state, buf, i);
          if (state.remaining === 0) this.#state = { kind: 'chunk-end', seen: '' };
          break;
        case 'chunk-end': {
          const seen = state.seen + String.fromCharCode(buf[i++]!);
          if (!'\r\n'.startsWith(seen)) throw framingError('chunk data not followed by CRLF');
          if (seen === '\r\n') this.#state = { kind: 'chunk-size', line: '' };
          else state.seen = seen;
          break;
        }
        case 'trailers': {
          const line = this.#line(state.line, buf, i, MAX_HEAD_BYTES - state.size, 'trailer section');
          i = line.next;
          if (line.text === undefined) {
            state.line = line.partial;
            break;
          }
          if (line.text === '') this.#end();
          else {
            state.size += line.text.length + 2;
            state.line = '';
          }
          break;
        }
        case 'length':
          i = this.#passBody(state, buf, i);
          if (state.remaining === 0) this.#end();
          break;
        case 'until-close':
          this.#sink.body(i === 0 ? buf : buf.subarray(i));
          return;
        case 'done':
          return;
      }
    }
  }

  #startBody(head: ResponseHead): void {
    // 1xx answers are interim: the real one follows (101 would switch protocols: not ours).
    if (head.status < 200) {
      if (head.status === 101) throw headError('unexpected 101 Switching Protocols');
      this.#state = { kind: 'head', text: '' };
      return;
    }
    const framing = bodyFraming(head);
    this.#sink.head(head);
    if (framing.kind === 'none') this.#end();
    else if (framing.kind === 'chunked') this.#state = { kind: 'chunk-size', line: '' };
    else if (framing.kind === 'length') this.#state = { kind: 'length', remaining: framing.length };
    else this.#state = { kind: 'until-close' };
  }

  /** Hands on what `buf` holds of the `remaining` body bytes from `at`; returns where they stop. */
  #passBody(state: { remaining: number }, buf: Buffer, at: number): number {
    const take = Math.min(state.remaining, buf.length - at);
    this.#sink.body(buf.subarray(at, at + take));
    state.remaining -= take;
    return at + take;
  }

  #end(): void {
    this.#state = { kind: 'done' };
    this.#sink.end();
  }

  /** A CRLF-terminated line across pushes, at most `max` bytes with its CRLF. */
  #line(partial: string, buf: Buffer, at: number, max: number, what: string): { text?: string; partial: string; next: number } {
    const lf = buf.indexOf(0x0a, at);
    const end = lf < 0 ? buf.length : lf + 1;
    const text = partial + buf.toString('latin1', at, Math.min(end, at + max + 1));
    if (text.length > max) throw framingError(`${what} exceeds ${max} bytes`);
    if (lf < 0) return { partial: text, next: end };
    if (!text.endsWith('\r\n')) throw framingError(`${what} not ended by CRLF`);
    return { text: text.slice(0, -2), partial: '', next: end };
  }
}
