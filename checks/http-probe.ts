// One HTTP GET, in-process, the way Mesos' `curl -s -S -L -k -o /dev/null` answers it
// (shared/spec/checks.md §4): a fresh connection per probe, any certificate accepted, the
// body read to its end and thrown away (never buffered), the final status code the result.
// Differences, on purpose: redirects are followed only to the same host and port (curl -L
// follows any, which lets a task point the agent at arbitrary hosts), and the caller's
// AbortSignal is the hard deadline that destroys the socket wherever the exchange is.
//
// Hand-written on node:net/node:tls rather than an HTTP client library: a probe needs the
// status line, two or three headers and the body's framing, nothing else, and at 1,000
// probes a second the client's per-request machinery was most of the executor's CPU
// (bench/checks: undici 0.356 ms of CPU per probe, of which 0.15 ms is the kernel's
// connect and close). Plain-HTTP connections go through the native prober (native-prober.ts),
// else libuv's handle (raw-tcp.ts); their reads land in one shared buffer, parsed in place.
import { isIP, Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Clock } from '../common/clock.js';
import type { HttpSpec } from './definitions.js';
import { probeError, type ProbeOutcome, type ProbeResult } from './outcome.js';
import { RawTcp, rawTcpAvailable, type RawTcpListener } from './raw-tcp.js';
import { NativeConnection } from './native-prober.js';
import { unwatchAbort, watchAbort, type Abortable } from './abort-watch.js';

/** curl's default --max-redirs. */
export const MAX_REDIRECTS = 50;
/** Status line and headers of one response; a target sending more is not answering a probe. */
export const MAX_HEADER_BYTES = 16 * 1024;

export interface HttpProbeOptions {
  signal: AbortSignal;
  /** Keep up to this many bytes of the final body (readiness `preserveLastResponse`). */
  captureBodyBytes?: number;
  /** Marathon readiness: the headers must arrive within this long (0/undefined = no limit). */
  headersTimeoutMs?: number;
  clock?: Clock;
}

function packageVersion(): string {
  try {
    // dist/checks/http-probe.js -> package.json at the root
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0';
  } catch {
    return '0';
  }
}

export const USER_AGENT = `mesos-sidecar/${packageVersion()}`;

export function probeUrl(spec: Pick<HttpSpec, 'scheme' | 'host' | 'port' | 'path'>): string {
  const host = spec.host.includes(':') ? `[${spec.host}]` : spec.host;
  return `${spec.scheme}://${host}:${spec.port}${spec.path}`;
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', '[::1]', 'localhost']);

function effectivePort(u: URL): string {
  return u.port || (u.protocol === 'https:' ? '443' : '80');
}

/** Same host: identical authority, treating the loopback names as one host. */
function sameHost(a: URL, b: URL): boolean {
  if (effectivePort(a) !== effectivePort(b)) return false;
  return a.hostname === b.hostname || (LOOPBACK_NAMES.has(a.hostname) && LOOPBACK_NAMES.has(b.hostname));
}

/** Where to connect and the request bytes for one URL. */
interface Target {
  url: URL;
  https: boolean;
  host: string;
  /** The host is an address, not a name to look up. */
  ip: boolean;
  port: number;
  request: Buffer;
}

function targetOf(url: URL): Target {
  const https = url.protocol === 'https:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const request = Buffer.from(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: ${USER_AGENT}\r\nAccept: */*\r\nConnection: close\r\n\r\n`, 'latin1');
  return { url, https, host, ip: isIP(host) !== 0, port: Number(effectivePort(url)), request };
}

// Check definitions live as long as their task and are probed every few seconds: the
// parsed URL and the request bytes are computed once per definition.
const firstTargets = new WeakMap<HttpSpec, Target>();

function firstTarget(spec: HttpSpec): Target {
  let target = firstTargets.get(spec);
  if (!target) firstTargets.set(spec, (target = targetOf(new URL(probeUrl(spec)))));
  return target;
}

/** What one exchange ended with. */
interface Response {
  statusCode: number;
  location?: string;
  contentType?: string;
  body?: string;
  bodyBytes: number;
}

// Every socket reads into this one buffer: `onread` hands the bytes over synchronously and
// everything we keep (a partial header, a captured body) is copied out before returning.
const readBuffer = Buffer.allocUnsafe(64 * 1024);

const CR = 13;
const LF = 10;

const enum Phase {
  Head,
  /** Body delimited by Content-Length. */
  Length,
  /** Body delimited by the server closing the connection. */
  Eof,
  /** Transfer-Encoding: chunked, one sub-state per part of the framing. */
  ChunkSize,
  ChunkExt,
  ChunkData,
  ChunkDataEnd,
  Trailer,
  Done,
}

/** An exchange failed; `code` becomes the probe error's code. */
class ExchangeError extends Error {
  constructor(
    readonly code: 'REFUSED' | 'RESET' | 'PROTOCOL' | 'TLS' | 'NETWORK' | 'ABORTED' | 'TIMEOUT',
    message: string,
  ) {
    super(message);
  }
}

function socketError(err: { code?: string | undefined; message: string }, https: boolean): ExchangeError {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') return new ExchangeError('REFUSED', 'connection refused');
  if (code === 'ECONNRESET' || code === 'EPIPE') return new ExchangeError('RESET', `connection reset (${code})`);
  if (https && (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code === 'EPROTO')) return new ExchangeError('TLS', `TLS failure (${code}: ${err.message})`);
  return new ExchangeError('NETWORK', code ? `${code}: ${err.message}` : err.message);
}

/**
 * Plain-HTTP sockets are reused once closed: each probe still opens a new connection
 * (`connect()` on a socket after its 'close' event is documented Node behaviour), but skips
 * building a `net.Socket` and its stream state, about a fifth of a probe's CPU in an
 * interleaved comparison. The listeners are installed once and dispatch to the socket's
 * current exchange; a socket goes back to the pool on 'close', its last event, so nothing
 * of one connection can reach the next exchange.
 */
interface SocketSlot {
  socket: Socket;
  exchange: Exchange | undefined;
  /**
   * Set by an exchange that read a whole response with its request fully written. Only
   * such sockets are reused: one closed by an error or an abort can keep stream state
   * (a pending write's callback) that breaks its next connection.
   */
  reusable: boolean;
}

/** Closed sockets ready for another connection; the bound only matters after a burst. */
const idleSockets: SocketSlot[] = [];
export const MAX_IDLE_SOCKETS = 64;

function plainSocket(): SocketSlot {
  const reused = idleSockets.pop();
  if (reused) return reused;
  const slot: SocketSlot = { socket: undefined as unknown as Socket, exchange: undefined, reusable: false };
  // `onread` is accepted by the Socket constructor as by net.connect (Node docs), though
  // @types/node lists it only for the latter.
  const onread: OnReadOpts = { buffer: readBuffer, callback: (n: number, buf: Uint8Array) => slot.exchange?.onRead(buf as Buffer, 0, n) ?? false };
  const socket = new Socket({ onread } as SocketConstructorOpts);
  socket.on('error', (err) => {
    slot.reusable = false;
    slot.exchange?.onError(err);
  });
  socket.on('end', () => slot.exchange?.onEnd());
  socket.on('close', (hadError: boolean) => {
    slot.exchange = undefined;
    if (slot.reusable && !hadError && idleSockets.length < MAX_IDLE_SOCKETS) idleSockets.push(slot);
    slot.reusable = false;
  });
  slot.socket = socket;
  return slot;
}

/** Closed sockets waiting for reuse (tests). */
export function idleSocketCount(): number {
  return idleSockets.length;
}

/**
 * One GET on a fresh connection: the status line, the headers we need, the body skipped
 * according to its framing (kept up to `keep` bytes). `done` settles once; `abort()`
 * settles it at once and destroys the socket.
 */
class Exchange implements RawTcpListener, Abortable {
  readonly done: Promise<Response | ExchangeError>;
  #settle!: (r: Response | ExchangeError) => void;
  #settled = false;
  /** TLS, or plain HTTP where raw handles are missing. */
  readonly #socket: Socket | undefined;
  /** Plain HTTP: the native prober's connection (native-prober.ts), which writes the request itself. */
  readonly #native: NativeConnection | null = null;
  /** Plain HTTP without the addon: libuv's handle directly (raw-tcp.ts), a fifth of the probe's CPU less than a pooled Socket. */
  readonly #raw: RawTcp | undefined;
  readonly #keep: number;
  readonly #onHeaders: (() => void) | undefined;
  readonly #https: boolean;
  readonly #request: Buffer;
  readonly #signal: AbortSignal;
  #phase = Phase.Head;
  /** Bytes of an incomplete head, copied out of the shared buffer. */
  #head: Buffer | undefined;
  #remaining = 0;
  /** Chunked framing: length of the current trailer line. */
  #lineLength = 0;
  #sizeDigits = 0;
  #kept: Buffer[] | undefined;
  #keptBytes = 0;
  readonly #res: Response = { statusCode: 0, bodyBytes: 0 };
  #slot: SocketSlot | undefined;

  /** `signal` has not aborted: the caller checks before each exchange. */
  constructor(target: Target, keep: number, onHeaders: (() => void) | undefined, signal: AbortSignal) {
    this.done = new Promise((resolve) => (this.#settle = resolve));
    this.#keep = keep;
    this.#onHeaders = onHeaders;
    this.#https = target.https;
    this.#request = target.request;
    this.#signal = signal;
    if (target.https) {
      // TLS sockets read their own buffers ('data'); https probes are the rare case.
      const socket = tlsConnect({ host: target.host, port: target.port, rejectUnauthorized: false, ...(target.ip ? {} : { servername: target.host }) });
      this.#socket = socket;
      socket.on('data', (chunk: Buffer) => {
        if (!this.onRead(chunk, 0, chunk.length)) socket.pause();
      });
      socket.on('error', (err) => this.onError(err));
      socket.on('end', () => this.onEnd());
      // Buffered by the socket until the handshake is done.
      socket.write(target.request);
    } else if (target.ip && (this.#native = NativeConnection.open(target.host, target.port, target.request, this))) {
      // A name (a redirect to `localhost`) needs node:net's lookup; the check's own host is an address.
    } else if (rawTcpAvailable() && target.ip) {
      this.#raw = new RawTcp(target.host, target.port, readBuffer, this);
    } else {
      const slot = plainSocket();
      slot.exchange = this;
      this.#slot = slot;
      this.#socket = slot.socket;
      this.#socket.connect({ host: target.host, port: target.port });
      // Buffered by the socket until it connects.
      this.#socket.write(target.request);
    }
    watchAbort(signal, this);
  }

  onConnect(): void {
    this.#raw!.write(this.#request);
  }

  abort(err = new ExchangeError('ABORTED', 'probe aborted')): void {
    this.#fail(err);
  }

  #finish(r: Response | ExchangeError): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#phase = Phase.Done;
    unwatchAbort(this.#signal, this);
    if (this.#slot && !(r instanceof ExchangeError) && this.#socket?.writableLength === 0) this.#slot.reusable = true;
    // Errors after the verdict (a reset while closing) do not change it: the 'error'
    // listener stays, #fail is a no-op from here on.
    this.#socket?.destroy();
    this.#native?.close();
    this.#raw?.close();
    this.#settle(r);
  }

  #fail(err: ExchangeError): void {
    this.#finish(err);
  }

  #complete(): void {
    if (this.#kept) this.#res.body = Buffer.concat(this.#kept).toString('utf8');
    this.#finish(this.#res);
  }

  /** The server closed its side. */
  onEnd(): void {
    switch (this.#phase) {
      case Phase.Done:
        return;
      case Phase.Eof:
        return this.#complete();
      case Phase.Head:
        if (!this.#head || this.#head.length === 0) return this.#fail(new ExchangeError('RESET', 'connection closed before any response'));
        if (!startsLikeHttp(this.#head, 0, this.#head.length)) return this.#fail(new ExchangeError('PROTOCOL', 'not an HTTP response'));
        return this.#fail(new ExchangeError('PROTOCOL', 'connection closed in the middle of the response headers'));
      case Phase.Length:
        return this.#fail(new ExchangeError('PROTOCOL', `connection closed with ${this.#remaining} bytes of the body (Content-Length) missing`));
      default:
        return this.#fail(new ExchangeError('PROTOCOL', 'connection closed before the last chunk of a chunked body'));
    }
  }

  onError(err: { code?: string | undefined; message: string }): void {
    this.#fail(socketError(err, this.#https));
  }

  /** Keeps reading unless the exchange is over. */
  onRead(buf: Buffer, start: number, end: number): boolean {
    let i = start;
    while (i < end && this.#phase !== Phase.Done) {
      i = this.#phase === Phase.Head ? this.#readHead(buf, i, end) : this.#readBody(buf, i, end);
    }
    return this.#phase !== Phase.Done;
  }

  /** Consumes head bytes from buf[start, end); returns where it stopped. */
  #readHead(buf: Buffer, start: number, end: number): number {
    // A head split across reads is rare (it is a few hundred bytes): the partial one is
    // copied out and joined with the next read.
    const prior = this.#head ? this.#head.length : 0;
    const data = this.#head ? Buffer.concat([this.#head, buf.subarray(start, end)]) : buf;
    const from = this.#head ? 0 : start;
    const to = this.#head ? data.length : end;
    const stop = headEnd(data, from, to);
    if (stop < 0) {
      if (!startsLikeHttp(data, from, to)) return this.#failAt(end, new ExchangeError('PROTOCOL', 'not an HTTP response'));
      if (to - from > MAX_HEADER_BYTES) return this.#failAt(end, new ExchangeError('PROTOCOL', `response headers too large (more than ${MAX_HEADER_BYTES} bytes)`));
      this.#head = data === buf ? Buffer.from(buf.subarray(start, end)) : data;
      return end;
    }
    if (stop - from > MAX_HEADER_BYTES) return this.#failAt(end, new ExchangeError('PROTOCOL', `response headers too large (more than ${MAX_HEADER_BYTES} bytes)`));
    this.#head = undefined;
    const err = this.#parseHead(data, from, stop);
    if (err) return this.#failAt(end, err);
    // Bytes of this read that belonged to the head.
    return start + (stop - from - prior);
  }

  #failAt(end: number, err: ExchangeError): number {
    this.#fail(err);
    return end;
  }

  /**
   * Parses "HTTP/1.x NNN ..." and the headers that matter in buf[from, end), a whole head;
   * sets the body phase. Read in place: only the values of the four headers looked at
   * become strings (a string of the whole head, a regular expression and a slice per header
   * were a twentieth of a probe's CPU in the profile).
   */
  #parseHead(buf: Buffer, from: number, end: number): ExchangeError | undefined {
    const lineEnd = lineEndOf(buf, from, end);
    const status = statusCodeOf(buf, from, lineEnd);
    if (status < 0) {
      const statusLine = buf.toString('latin1', from, lineEnd);
      return new ExchangeError('PROTOCOL', `not an HTTP response (status line ${JSON.stringify(statusLine.trimEnd().slice(0, 80))})`);
    }
    let contentLength: string | undefined;
    let chunked = false;
    let pos = lineEnd + 1;
    while (pos < end) {
      const next = lineEndOf(buf, pos, end);
      let colon = pos;
      while (colon < next && buf[colon] !== COLON) colon++;
      if (colon > pos && colon < next) {
        // Only these four are looked at; the lengths filter out every other header cheaply.
        const name = headerNamed(buf, pos, colon - pos);
        if (name !== undefined) {
          const value = buf.toString('latin1', colon + 1, next).trim();
          if (name === 'location') this.#res.location = value;
          else if (name === 'content-type') this.#res.contentType = value;
          else if (name === 'content-length') {
            if (contentLength !== undefined && contentLength !== value) return new ExchangeError('PROTOCOL', `conflicting Content-Length headers ${contentLength} and ${value}`);
            contentLength = value;
          } else chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
        }
      }
      pos = next + 1;
    }
    if (status < 200) {
      if (status === 101) return new ExchangeError('PROTOCOL', 'unexpected protocol upgrade (101)');
      // 1xx informational responses precede the real one: forget this one's headers.
      delete this.#res.location;
      delete this.#res.contentType;
      return undefined;
    }
    this.#res.statusCode = status;
    this.#onHeaders?.();
    if (this.#keep > 0) this.#kept = [];
    if (status === 204 || status === 304) {
      this.#complete();
    } else if (chunked) {
      this.#phase = Phase.ChunkSize;
      this.#remaining = 0;
      this.#sizeDigits = 0;
    } else if (contentLength !== undefined) {
      if (!/^\d{1,15}$/.test(contentLength)) return new ExchangeError('PROTOCOL', `invalid Content-Length ${JSON.stringify(contentLength)}`);
      this.#remaining = Number(contentLength);
      this.#phase = Phase.Length;
      if (this.#remaining === 0) this.#complete();
    } else {
      this.#phase = Phase.Eof;
    }
    return undefined;
  }

  #body(buf: Buffer, start: number, end: number): void {
    this.#res.bodyBytes += end - start;
    if (this.#kept && this.#keptBytes < this.#keep) {
      const part = Buffer.from(buf.subarray(start, Math.min(end, start + this.#keep - this.#keptBytes)));
      this.#kept.push(part);
      this.#keptBytes += part.length;
    }
  }

  /** Consumes body bytes from buf[i, end) according to the framing; returns where it stopped. */
  #readBody(buf: Buffer, i: number, end: number): number {
    switch (this.#phase) {
      case Phase.Eof:
        this.#body(buf, i, end);
        return end;
      case Phase.Length: {
        const take = Math.min(this.#remaining, end - i);
        this.#body(buf, i, i + take);
        this.#remaining -= take;
        // Honoured even when the server keeps the connection open despite Connection: close.
        if (this.#remaining === 0) this.#complete();
        return i + take;
      }
      case Phase.ChunkData: {
        const take = Math.min(this.#remaining, end - i);
        this.#body(buf, i, i + take);
        this.#remaining -= take;
        if (this.#remaining === 0) this.#phase = Phase.ChunkDataEnd;
        return i + take;
      }
      default:
        return this.#readChunkFraming(buf, i, end);
    }
  }

  /** The chunk-size lines, the CRLF after each chunk and the trailer, byte by byte (few bytes). */
  #readChunkFraming(buf: Buffer, i: number, end: number): number {
    for (; i < end; i++) {
      const c = buf[i]!;
      switch (this.#phase) {
        case Phase.ChunkSize: {
          const digit = hexValue(c);
          if (digit >= 0) {
            if (++this.#sizeDigits > 12) return this.#failAt(end, new ExchangeError('PROTOCOL', 'chunk size too large'));
            this.#remaining = this.#remaining * 16 + digit;
            continue;
          }
          if (this.#sizeDigits === 0) return this.#failAt(end, new ExchangeError('PROTOCOL', 'invalid chunked encoding (no chunk size)'));
          if (c === LF) {
            this.#startChunk();
            return i + 1;
          }
          if (c === CR || c === 0x3b /* ; */ || c === 0x20 || c === 0x09) {
            this.#phase = Phase.ChunkExt;
            continue;
          }
          return this.#failAt(end, new ExchangeError('PROTOCOL', `invalid chunked encoding (byte 0x${c.toString(16)} in a chunk size)`));
        }
        case Phase.ChunkExt:
          if (c === LF) {
            this.#startChunk();
            return i + 1;
          }
          continue;
        case Phase.ChunkDataEnd:
          if (c === CR) continue;
          if (c !== LF) return this.#failAt(end, new ExchangeError('PROTOCOL', 'invalid chunked encoding (no CRLF after a chunk)'));
          this.#phase = Phase.ChunkSize;
          this.#remaining = 0;
          this.#sizeDigits = 0;
          continue;
        case Phase.Trailer:
          if (c === LF) {
            if (this.#lineLength === 0) {
              this.#complete();
              return i + 1;
            }
            this.#lineLength = 0;
          } else if (c !== CR) {
            if (++this.#lineLength > MAX_HEADER_BYTES) return this.#failAt(end, new ExchangeError('PROTOCOL', 'chunked trailer too large'));
          }
          continue;
        default:
          return i;
      }
    }
    return i;
  }

  #startChunk(): void {
    if (this.#remaining === 0) {
      this.#phase = Phase.Trailer;
      this.#lineLength = 0;
    } else {
      this.#phase = Phase.ChunkData;
    }
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/** Index just past the blank line ending a head in buf[from, end), or -1. */
function headEnd(buf: Buffer, from: number, end: number): number {
  let i = from;
  while (i < end) {
    const lf = buf.indexOf(LF, i);
    if (lf < 0 || lf >= end) return -1;
    // "\n\n" or "\n\r\n": a blank line (bare LF line endings tolerated, as curl does).
    if (lf + 1 < end && buf[lf + 1] === LF) return lf + 2;
    if (lf + 2 < end && buf[lf + 1] === CR && buf[lf + 2] === LF) return lf + 3;
    i = lf + 1;
  }
  return -1;
}

const HTTP_PREFIX = Buffer.from('HTTP/', 'latin1');
const COLON = 0x3a;
const SPACE = 0x20;

/** The headers a probe reads, by the length of their names. */
const HEADER_NAMES = new Map(['location', 'content-type', 'content-length', 'transfer-encoding'].map((name) => [name.length, { name, bytes: Buffer.from(name, 'latin1') }]));

/** Which of HEADER_NAMES buf[pos, pos + length) is, in any letter case. */
function headerNamed(buf: Buffer, pos: number, length: number): string | undefined {
  const known = HEADER_NAMES.get(length);
  if (!known) return undefined;
  for (let i = 0; i < length; i++) {
    const c = buf[pos + i]!;
    const l = known.bytes[i]!;
    if (c !== l && !(l >= 0x61 && l <= 0x7a && c === l - 0x20)) return undefined;
  }
  return known.name;
}

/** Index of the LF ending the line that starts at `from`, or `end`. */
function lineEndOf(buf: Buffer, from: number, end: number): number {
  let i = from;
  while (i < end && buf[i] !== LF) i++;
  return i;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

/** The code of a status line buf[from, end) (LF excluded) "HTTP/1.0 NNN" or "HTTP/1.1 NNN", then a space, a CR or nothing; -1 for anything else. */
function statusCodeOf(buf: Buffer, from: number, end: number): number {
  if (end - from < 12 || buf.compare(HTTP_PREFIX, 0, HTTP_PREFIX.length, from, from + HTTP_PREFIX.length) !== 0) return -1;
  if (buf[from + 5] !== 0x31 || buf[from + 6] !== 0x2e || (buf[from + 7] !== 0x30 && buf[from + 7] !== 0x31) || buf[from + 8] !== SPACE) return -1;
  const d1 = buf[from + 9];
  const d2 = buf[from + 10];
  const d3 = buf[from + 11];
  if (!isDigit(d1) || !isDigit(d2) || !isDigit(d3)) return -1;
  if (end > from + 12 && buf[from + 12] !== SPACE && buf[from + 12] !== CR) return -1;
  return (d1! - 48) * 100 + (d2! - 48) * 10 + (d3! - 48);
}

/** Whether the bytes so far can be the start of "HTTP/". */
function startsLikeHttp(buf: Buffer, from: number, end: number): boolean {
  const n = Math.min(end - from, HTTP_PREFIX.length);
  return buf.compare(HTTP_PREFIX, 0, n, from, from + n) === 0;
}

/** Runs the probe; resolves with an outcome, never rejects. */
export async function probeHttp(spec: HttpSpec, options: HttpProbeOptions): Promise<ProbeOutcome> {
  const { signal } = options;
  const first = firstTarget(spec);
  let target = first;
  let redirects = 0;
  const keep = options.captureBodyBytes ?? 0;
  const headersTimeout = options.headersTimeoutMs && options.clock ? options.headersTimeoutMs : 0;
  for (;;) {
    // Also between the exchanges of a redirect chain, where no exchange is there to abort.
    if (signal.aborted) return probeError('ABORTED', 'probe aborted');
    let r: Response | ExchangeError;
    if (headersTimeout > 0) {
      const clock = options.clock!;
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      const ex = new Exchange(
        target,
        keep,
        () => {
          clock.clearTimeout(timer);
          timer = undefined;
        },
        signal,
      );
      timer = clock.setTimeout(() => ex.abort(new ExchangeError('TIMEOUT', `no response headers within ${headersTimeout} ms`)), headersTimeout);
      r = await ex.done;
      clock.clearTimeout(timer);
    } else {
      r = await new Exchange(target, keep, undefined, signal).done;
    }
    if (r instanceof ExchangeError) return probeError(signal.aborted ? 'ABORTED' : r.code, signal.aborted ? 'probe aborted' : r.message);
    const isRedirect = r.location !== undefined && (r.statusCode === 301 || r.statusCode === 302 || r.statusCode === 303 || r.statusCode === 307 || r.statusCode === 308);
    if (spec.followRedirects && isRedirect) {
      let next: URL;
      try {
        next = new URL(r.location!, target.url);
      } catch {
        return probeError('REDIRECT', `redirect to an invalid location ${JSON.stringify(r.location)}`);
      }
      if ((next.protocol !== 'http:' && next.protocol !== 'https:') || !sameHost(first.url, next)) {
        return probeError('REDIRECT', `redirect to another host refused: ${next.href}`);
      }
      if (++redirects > MAX_REDIRECTS) return probeError('REDIRECT', `more than ${MAX_REDIRECTS} redirects`);
      target = targetOf(next);
      continue;
    }
    const result: Extract<ProbeResult, { type: 'HTTP' }> = { type: 'HTTP', statusCode: r.statusCode, redirects, bodyBytes: r.bodyBytes };
    if (r.contentType !== undefined) result.contentType = r.contentType;
    if (r.body !== undefined) result.body = r.body;
    return { kind: 'result', result };
  }
}
