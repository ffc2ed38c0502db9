// node-pty, once the child has exited, destroys the terminal's socket 200 ms later if it
// has not reached EOF, and the output still unread is lost. Under load (or while paused
// by backpressure) that drops the tail of the output: seen here losing ~13 KB of a 5 MB
// stream with a busy event loop. This keeps reading until the PTY really reports EOF
// (EIO, once every slave fd is closed), with a longer safety limit.
//
// It also keeps the master open until the exit: EIO comes as soon as every slave fd is
// closed, which a command does on its way out (cat closes its stdio before exit_group),
// and closing the master then hangs the terminal up: the kernel's SIGHUP killed the
// command before it could exit, and the session reported 129 instead of its status.
//
// libuv also takes a POLLHUP after a short read for EOF while the kernel still holds output
// (a pty read returns at most a few KB, and the slave's last writes may still be on their
// way to the master). The kernel does not lose it: a read of a hung-up master first moves
// what is pending, and says EIO only once nothing is left. So when the stream ends with
// EOF rather than EIO, the tail is read from the master here before it is closed.
import { readSync } from 'node:fs';
import type { IPty } from 'node-pty';
import { systemClock, type Clock } from '../common/clock.js';

interface PtyInternals {
  _fd?: number;
  _socket?: {
    destroy(err?: Error): unknown;
    destroyed: boolean;
    readableEnded: boolean;
    push(chunk: null): boolean;
    once(event: 'close', l: () => void): unknown;
    _handle?: { readStop(): number } | null;
  };
}

export interface PtyDrainOptions {
  /** Called when node-pty has seen the child exit, before the output reached EOF. */
  onExitObserved?: () => void;
  clock?: Clock;
  /** Give up waiting for EOF after this long (a daemon may keep the terminal open). */
  maxWaitMs?: number;
  /** Output read from the master after libuv's early EOF, before the terminal closes. */
  onTail?: (chunk: Buffer) => void;
}

/**
 * Only a process that reopened the terminal's slave can keep a hung-up master filling;
 * past this much the tail is left unread rather than reading for ever.
 */
export const PTY_TAIL_LIMIT_BYTES = 1024 * 1024;

/** Reads a hung-up master until the kernel says there is nothing left (EIO) or would block. */
export function readPtyTail(fd: number, deliver: (chunk: Buffer) => void, limit = PTY_TAIL_LIMIT_BYTES): void {
  for (let total = 0; total < limit; ) {
    const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, limit - total));
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch {
      return; // EIO: every slave fd closed and nothing left; EAGAIN: a slave reopened, idle.
    }
    if (n === 0) return;
    total += n;
    deliver(chunk.subarray(0, n));
  }
}

/** Returns false when node-pty's internals are not as expected (then nothing is changed). */
export function drainPtyOnExit(term: IPty, options: PtyDrainOptions = {}): boolean {
  const internals = term as unknown as PtyInternals;
  const socket = internals._socket;
  if (!socket || typeof socket.destroy !== 'function') return false;
  const clock = options.clock ?? systemClock;
  let exited = false;
  // The stream's own end (EIO, which libuv may report as EOF) before the exit: held back.
  let held: { err: Error | undefined } | undefined;
  const realDestroy = socket.destroy.bind(socket);
  // node-pty sets `_boundClose` in its exit callback, right before arming its timer and
  // listening for 'close' (which the held end emits on a later tick).
  Object.defineProperty(term, '_boundClose', {
    configurable: true,
    get: () => exited,
    set: (value: boolean) => {
      exited = value;
      if (!value) return;
      options.onExitObserved?.();
      if (!held) return;
      // An error held back: end the stream instead, so what it still buffers (paused by
      // backpressure) is read first; its own destroy then comes through the ended path.
      if (held.err !== undefined && !socket.readableEnded) socket.push(null);
      else realDestroy(held.err);
    },
  });
  let tailRead = false;
  socket.destroy = (err?: Error) => {
    if (err === undefined && socket.readableEnded && !tailRead && internals._fd !== undefined && options.onTail) {
      tailRead = true;
      readPtyTail(internals._fd, options.onTail);
    }
    if (!exited && !socket.destroyed) {
      // No slave fd left, the command not yet gone: stop reading (a hung-up master stays
      // readable) and close once node-pty has seen the exit.
      held ??= { err };
      socket._handle?.readStop();
      return socket;
    }
    // With an error it is the stream's own EIO/EOF path: let it through.
    if (err !== undefined || socket.destroyed || socket.readableEnded) return realDestroy(err);
    const timer = clock.setTimeout(() => realDestroy(), options.maxWaitMs ?? 5000);
    socket.once('close', () => clock.clearTimeout(timer));
    return socket;
  };
  return true;
}
