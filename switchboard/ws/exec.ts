// An exec session over a gateway socket: the socket is the session's connection, as the
// HTTP response stream is for LAUNCH_NESTED_CONTAINER_SESSION. Closing it, or losing it,
// destroys the session's container.
import type { WebSocket } from 'ws';
import type { AuditedSession } from '../session-launcher.js';
import type { SwitchboardState } from '../calls/context.js';
import { exitMessage } from './control.js';
import { TerminalSocket } from './terminal-socket.js';

/** Bytes a gateway socket may have waiting to be sent before the session's output is paused. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

export function serveExec(state: SwitchboardState, ws: WebSocket, launched: AuditedSession): TerminalSocket {
  const { session, logger } = launched;
  const socket = new TerminalSocket({
    ws,
    clock: state.clock,
    heartbeatIntervalMs: state.heartbeatIntervalMs,
    logger,
    input: session,
    flow: { kind: 'pause', pause: () => session.pauseOutput(), resume: () => session.resumeOutput(), maxBufferedBytes: MAX_BUFFERED_BYTES },
  });
  socket.send({ type: 'started', container_id: session.containerText, tty: session.tty });
  // Subscribed in the same turn the session was launched in: no output is missed.
  session.onOutput((_stream, chunk, lease) => socket.sendOutput(chunk, lease), { borrows: true });
  void launched.ended.then((t) => socket.finish(exitMessage(t.exitStatus, t.limitation?.message)));
  socket.onEnd((end) => {
    if (end === 'finished') return;
    logger.info({ end }, 'gateway socket closed before the session ended; destroying its container');
    session.destroy();
  });
  return socket;
}
