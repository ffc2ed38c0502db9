// A TCP connection on libuv's handle directly (`tcp_wrap`/`stream_wrap`, what node:net is
// built on), for the probes: they open a connection, write a few bytes at most, read the
// reply into one shared buffer and close, so a net.Socket's stream machinery (state,
// events, nextTick hops, the destroy path) was most of what a probe cost in JavaScript.
// `process.binding` is deprecated in documentation only (DEP0111); rawTcpAvailable()
// says whether this process has it, and callers fall back to node:net where it has not.
import { getSystemErrorName } from 'node:util';

interface Request {
  oncomplete: (status: number) => void;
}

interface TcpHandle {
  /** A native accessor: it aborts the process on anything but a function. */
  onread: (arrayBuffer: ArrayBuffer | undefined) => void;
  connect(req: Request, address: string, port: number): number;
  connect6(req: Request, address: string, port: number): number;
  writeBuffer(req: Request, data: Buffer): number;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Buffer): void;
  close(): void;
}

interface Bindings {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => Request;
  WriteWrap: new () => Request & { buffer?: Buffer };
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
  SOCKET: number;
}

let bindings: Bindings | null | undefined;

function load(): Bindings | null {
  if (bindings !== undefined) return bindings;
  try {
    const binding = (process as unknown as { binding(name: string): Record<string, unknown> }).binding;
    const tcp = binding('tcp_wrap') as { TCP: Bindings['TCP']; TCPConnectWrap: Bindings['TCPConnectWrap']; constants: { SOCKET: number } };
    const stream = binding('stream_wrap') as Omit<Bindings, 'TCP' | 'TCPConnectWrap' | 'SOCKET'>;
    const ok = typeof tcp.TCP === 'function' && typeof tcp.TCPConnectWrap === 'function' && typeof stream.WriteWrap === 'function' && stream.streamBaseState instanceof Int32Array;
    bindings = ok ? { TCP: tcp.TCP, TCPConnectWrap: tcp.TCPConnectWrap, SOCKET: tcp.constants.SOCKET, WriteWrap: stream.WriteWrap, streamBaseState: stream.streamBaseState, kReadBytesOrError: stream.kReadBytesOrError, kLastWriteWasAsync: stream.kLastWriteWasAsync } : null;
  } catch {
    bindings = null;
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
  /** Bytes in buf[0, n); return false to stop reading (the caller then closes). */
  onRead(buf: Buffer, n: number): boolean;
  onEnd(): void;
  onError(err: RawTcpError): void;
}

export class RawTcp {
  readonly #b: Bindings;
  readonly #handle: TcpHandle;
  readonly #listener: RawTcpListener;
  readonly #where: string;
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
    this.#where = `${host}:${port}`;
    const handle = (this.#handle = new b.TCP(b.SOCKET));
    const req = new b.TCPConnectWrap();
    req.oncomplete = (status) => {
      if (this.#closed) return; // ECANCELED after close(): nobody is waiting.
      if (status !== 0) return this.#fail(status, 'connect');
      if (readBuffer) {
        handle.useUserBuffer(readBuffer);
        handle.onread = () => this.#onRead(readBuffer);
        const err = handle.readStart();
        if (err !== 0) return this.#fail(err, 'read');
      }
      listener.onConnect();
    };
    const err = host.includes(':') ? handle.connect6(req, host, port) : handle.connect(req, host, port);
    // A synchronous refusal (a bad address) is reported like an asynchronous one, never thrown.
    if (err !== 0) queueMicrotask(() => this.#fail(err, 'connect'));
  }

  /** Writes `data`; the buffer must stay unchanged until the connection is closed. */
  write(data: Buffer): void {
    if (this.#closed) return;
    const req = new this.#b.WriteWrap();
    req.buffer = data; // held for an asynchronous write
    req.oncomplete = (status) => {
      if (status !== 0 && !this.#closed) this.#fail(status, 'write');
    };
    const err = this.#handle.writeBuffer(req, data);
    if (err !== 0) queueMicrotask(() => this.#fail(err, 'write'));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handle.close();
  }

  #onRead(buf: Buffer): void {
    if (this.#closed) return;
    const n = this.#b.streamBaseState[this.#b.kReadBytesOrError]!;
    if (n > 0) {
      if (!this.#listener.onRead(buf, n) && !this.#closed) this.#handle.readStop();
      return;
    }
    if (n === 0) return;
    if (getSystemErrorName(n) === 'EOF') return this.#listener.onEnd();
    this.#fail(n, 'read');
  }

  #fail(status: number, syscall: string): void {
    if (this.#closed) return;
    const code = getSystemErrorName(status);
    this.#listener.onError({ code, message: `${syscall} ${code}${syscall === 'connect' ? ` ${this.#where}` : ''}` });
  }
}
