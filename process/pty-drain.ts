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
// It cannot help with a second, libuv-level loss: after a short read from the PTY master
// a POLLHUP is taken for EOF although the kernel still holds output (pty reads return
// at most a few KB), so under load the last few KB can still be cut. Known limitation.
import type { IPty } from 'node-pty';
import { systemClock, type Clock } from '../common/clock.js';

interface PtyInternals {
  _socket?: {
    destroy(err?: Error): unknown;
    destroyed: boolean;
    readableEnded: boolean;
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
      if (held) realDestroy(held.err);
    },
  });
  socket.destroy = (err?: Error) => {
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
