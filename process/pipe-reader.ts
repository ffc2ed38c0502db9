// Reads a child's output pipe (the net.Socket child_process made for it) into reused
// buffers (read-buffers.ts): libuv reads straight into a slab through the handle's user
// buffer, and the chunk goes to the listener with its lease, with none of a Readable's
// buffering, events and nextTick hops in between. Where this process has no
// `process.binding` (DEP0111 deprecates it in documentation only) or the socket is no
// longer a plain open pipe, it reads through the socket's 'data' events: chunks without a
// lease, which their listener owns.
import type { Socket } from 'node:net';
import { finished } from 'node:stream';
import { streamBinding, type StreamBinding } from '../common/stream-binding.js';
import { getSystemErrorName } from 'node:util';
import { ReadBuffers, type ChunkLease, type ReadBuffersOptions } from './read-buffers.js';

export interface PipeListener {
  /** `lease` is set when the chunk's buffer is read into again once released (ChunkLease). */
  onData(chunk: Buffer, lease: ChunkLease | undefined): void;
}

export interface PipeReader {
  /** Stops reading (the writer blocks once the pipe is full) until resume(). */
  pause(): void;
  resume(): void;
  /** Stops reading for good and closes the pipe. */
  destroy(): void;
  /** Resolves at the pipe's end, after an error (logged by the caller's socket listener) or destroy(). */
  readonly closed: Promise<void>;
  /** Whether reads go into reused buffers (false: through the socket's events). */
  readonly pooled: boolean;
}

interface StreamHandle {
  onread: (arrayBuffer: ArrayBuffer | undefined) => Buffer | undefined;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Buffer): void;
  reading?: boolean;
}

/** Set by the fallback's tests: behave as on a Node without the stream binding. */
let pooledOff = false;

function loadStreamState(): StreamBinding | null {
  return pooledOff ? null : streamBinding();
}

/** For the tests of the fallback: pretend the binding is missing, or look again. */
export function usePooledPipesForTests(value: 'auto' | 'off'): void {
  pooledOff = value === 'off';
}

const UV_EOF = -4095;

/** Starts reading `socket` (on a later microtask), or at `resume()` when `paused`. */
export function readPipe(socket: Socket, listener: PipeListener, options: ReadBuffersOptions & { paused?: boolean } = {}): PipeReader {
  const state = loadStreamState();
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
  const readable = (socket as unknown as { _readableState?: { ended?: boolean } })._readableState;
  // Taken over only while the socket has not seen its end: after it, all that is left is
  // in the socket's own buffer and the socket closes the handle by itself.
  if (!state || !handle || typeof handle.useUserBuffer !== 'function' || socket.destroyed || readable?.ended !== false) return socketReader(socket, listener, options.paused ?? false);
  return handleReader(socket, handle, state, listener, options);
}

function handleReader(socket: Socket, handle: StreamHandle, state: StreamBinding, listener: PipeListener, options: ReadBuffersOptions & { paused?: boolean }): PipeReader {
  // What the socket read before we took over comes first (it owns that buffer); read()
  // may start the handle again, so it is stopped after.
  const early = socket.readableLength > 0 ? (socket.read() as Buffer | null) : null;
  handle.readStop();
  handle.reading = false;
  const buffers = new ReadBuffers(options);
  let paused = options.paused ?? false;
  let done = false;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const finish = () => {
    if (done) return;
    done = true;
    handle.readStop();
    socket.destroy();
    resolveClosed();
  };
  // An error the socket itself would have raised (its 'error' listeners log it).
  const fail = (nread: number) => {
    const err = Object.assign(new Error(`read ${getSystemErrorName(nread)}`), { code: getSystemErrorName(nread), errno: nread, syscall: 'read' });
    done = true;
    handle.readStop();
    socket.destroy(err);
    resolveClosed();
  };
  socket.once('close', () => {
    done = true;
    resolveClosed();
  });
  handle.onread = () => {
    const n = state.streamBaseState[state.kReadBytesOrError]!;
    if (n > 0) {
      const { chunk, lease } = buffers.commit(n);
      listener.onData(chunk, lease);
      return buffers.advance();
    }
    if (n === UV_EOF) finish();
    else if (n < 0) fail(n);
    return undefined;
  };
  handle.useUserBuffer(buffers.target);
  let pending = early && early.length > 0 ? early : undefined;
  const start = () => {
    if (done || paused) return;
    if (pending) {
      const first = pending;
      pending = undefined;
      listener.onData(first, undefined);
      if (done || paused) return;
    }
    const err = handle.readStart();
    if (err < 0) fail(err);
  };
  // Started at once, what the socket had is handed over once the caller holds the reader,
  // as data events would be.
  if (!paused) queueMicrotask(start);
  return {
    pooled: true,
    closed,
    pause: () => {
      if (paused) return;
      paused = true;
      if (!done) handle.readStop();
    },
    resume: () => {
      if (!paused) return;
      paused = false;
      start();
    },
    destroy: finish,
  };
}

function socketReader(socket: Socket, listener: PipeListener, paused: boolean): PipeReader {
  socket.on('data', (chunk: Buffer) => listener.onData(chunk, undefined));
  if (paused) socket.pause();
  // finished(), not 'end'/'close' listeners: an empty pipe whose writer is gone may have
  // ended and closed on its own before we got it (Node reads a child's pipes from the
  // start), and those events do not come again. A quick exec session then never ended.
  const closed = new Promise<void>((resolve) => finished(socket, { writable: false }, () => resolve()));
  return {
    pooled: false,
    closed,
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    destroy: () => socket.destroy(),
  };
}
