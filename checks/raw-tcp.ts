// A TCP connection on libuv's handle directly (`tcp_wrap`/`stream_wrap`, what node:net is
// built on), for the probes: they open a connection, write a few bytes at most, read the
// reply into one shared buffer and close, so a net.Socket's stream machinery (state,
// events, nextTick hops, the destroy path) was most of what a probe cost in JavaScript.
// `process.binding` is deprecated in documentation only (DEP0111); rawTcpAvailable()
// says whether this process has it, and callers fall back to node:net where it has not.
import { getSystemErrorName } from 'node:util';
import { streamBinding } from '../common/stream-binding.js';

// The callbacks as node's C++ side calls them: a connect request's with (status, handle),
// a write request's with (status) and the request as `this`, a read with the handle as `this`.
interface ConnectRequest {
  oncomplete: (status: number, handle: TcpHandle) => void;
}

interface WriteRequest {
  oncomplete: (this: WriteRequest, status: number) => void;
  buffer?: Buffer;
}

interface TcpHandle {
  /** A native accessor: it aborts the process on anything but a function. */
  onread: (this: TcpHandle) => void;
  connect(req: ConnectRequest, address: string, port: number): number;
  connect6(req: ConnectRequest, address: string, port: number): number;
  writeBuffer(req: WriteRequest, data: Buffer): number;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Buffer): void;
  close(): void;
}

interface Bindings {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => ConnectRequest;
  WriteWrap: new () => WriteRequest;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
  SOCKET: number;
}

let bindings: Bindings | null | undefined;

function load(): Bindings | null {
  if (bindings !== undefined) return bindings;
  bindings = null;
  const stream = streamBinding();
  if (!stream) return bindings;
  try {
    const binding = (process as unknown as { binding(name: string): Record<string, unknown> }).binding;
    const tcp = binding('tcp_wrap') as { TCP: Bindings['TCP']; TCPConnectWrap: Bindings['TCPConnectWrap']; constants: { SOCKET: number } };
    if (typeof tcp.TCP === 'function' && typeof tcp.TCPConnectWrap === 'function') {
      bindings = { ...stream, WriteWrap: stream.WriteWrap as Bindings['WriteWrap'], TCP: tcp.TCP, TCPConnectWrap: tcp.TCPConnectWrap, SOCKET: tcp.constants.SOCKET };
    }
  } catch {
    // no tcp_wrap: the node:net fallback
  }
  return bindings;
}

export function rawTcpAvailable(): boolean {
  return load() !== null;
}

/** For the tests of the node:net fallbacks: pretend the bindings are missing, or look again. */
export function useRawTcpForTests(value: 'auto' | 'off'): void {
  bindings = value === 'off' ? null : undefined;
}

/** A failed system call, with the code and message node:net would give it (`connect ECONNREFUSED 127.0.0.1:80`). */
export interface RawTcpError {
  code: string;
  message: string;
}

export interface RawTcpListener {
  onConnect(): void;
  /** Bytes in buf[start, end); return false to stop reading (the caller then closes). */
  onRead(buf: Buffer, start: number, end: number): boolean;
  onEnd(): void;
  onError(err: RawTcpError): void;
}

/** Where a handle's callbacks find their connection: libuv's callbacks are shared functions. */
const owner = Symbol('RawTcp');

type Owned<T> = T & { [owner]?: RawTcp };

export class RawTcp {
  readonly #b: Bindings;
  readonly #handle: Owned<TcpHandle>;
  readonly #listener: RawTcpListener;
  readonly #host: string;
  readonly #port: number;
  readonly #readBuffer: Buffer | undefined;
  #closed = false;

  /**
   * Starts connecting at once. `readBuffer` receives every read (the listener copies what it
   * keeps); without one the connection is never read (a TCP check only connects).
   */
  constructor(host: string, port: number, readBuffer: Buffer | undefined, listener: RawTcpListener) {
    const b = load();
    if (!b) throw new Error('raw TCP handles are not available in this process (check rawTcpAvailable() first)');
    this.#b = b;
    this.#listener = listener;
    this.#host = host;
    this.#port = port;
    this.#readBuffer = readBuffer;
    const handle: Owned<TcpHandle> = (this.#handle = new b.TCP(b.SOCKET));
    handle[owner] = this;
    // No closures per connection: the callbacks are shared and find it through the handle.
    const req = new b.TCPConnectWrap();
    req.oncomplete = RawTcp.#afterConnect;
    const err = host.includes(':') ? handle.connect6(req, host, port) : handle.connect(req, host, port);
    // A synchronous refusal (a bad address) is reported like an asynchronous one, never thrown.
    if (err !== 0) {
      queueMicrotask(() => this.#fail(err, 'connect'));
      return;
    }
    if (readBuffer) {
      // Reading starts with the connect still pending (libuv handles the connect first when
      // both are ready): the socket is then registered with epoll once for both directions,
      // where starting it in the connect callback cost a failed EPOLL_CTL_ADD and a MOD.
      handle.useUserBuffer(readBuffer);
      handle.onread = RawTcp.#onRead;
      const readErr = handle.readStart();
      if (readErr !== 0) queueMicrotask(() => this.#fail(readErr, 'read'));
    }
  }

  /** Writes `data`; the buffer must stay unchanged until the connection is closed. */
  write(data: Buffer): void {
    if (this.#closed) return;
    const req: Owned<WriteRequest> = new this.#b.WriteWrap();
    req.buffer = data; // held for an asynchronous write
    req.oncomplete = RawTcp.#afterWrite;
    req[owner] = this;
    const err = this.#handle.writeBuffer(req, data);
    if (err !== 0) queueMicrotask(() => this.#fail(err, 'write'));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handle.close();
  }

  static #afterConnect(this: void, status: number, handle: Owned<TcpHandle>): void {
    const conn = handle[owner];
    if (!conn || conn.#closed) return; // ECANCELED after close(): nobody is waiting.
    if (status !== 0) return conn.#fail(status, 'connect');
    conn.#listener.onConnect();
  }

  static #afterWrite(this: Owned<WriteRequest>, status: number): void {
    const conn = this[owner];
    if (conn && status !== 0 && !conn.#closed) conn.#fail(status, 'write');
  }

  static #onRead(this: Owned<TcpHandle>): void {
    const conn = this[owner];
    if (!conn || conn.#closed || !conn.#readBuffer) return;
    const n = conn.#b.streamBaseState[conn.#b.kReadBytesOrError]!;
    if (n > 0) {
      if (!conn.#listener.onRead(conn.#readBuffer, 0, n) && !conn.#closed) conn.#handle.readStop();
      return;
    }
    if (n === 0) return;
    if (getSystemErrorName(n) === 'EOF') return conn.#listener.onEnd();
    conn.#fail(n, 'read');
  }

  #fail(status: number, syscall: string): void {
    if (this.#closed) return;
    const code = getSystemErrorName(status);
    this.#listener.onError({ code, message: `${syscall} ${code}${syscall === 'connect' ? ` ${this.#host}:${this.#port}` : ''}` });
  }
}
