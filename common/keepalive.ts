// TCP keepalive for the switchboard's long streams, on both ends. A stream one side never
// writes to (an input stream at the server, an output stream at the client between the
// server's 30 s heartbeats) sees no error when its peer vanishes without a FIN (a laptop
// asleep, a partition): without probes it stays open for good, and at the server it holds
// the container's one input slot. Mesos ignores the input HEARTBEATs, so they cannot be
// the liveness test. Node's libuv probes each second, 10 times, once the idle time passed:
// a dead peer is dropped 40 s after its last packet; a live idle one costs a probe per 30 s.
import type { Socket } from 'node:net';

export const KEEPALIVE_IDLE_MS = 30_000;

/** No-op on a unix socket (a peer on the same host cannot vanish without its kernel). */
export function keepAlive(socket: Socket): void {
  socket.setKeepAlive(true, KEEPALIVE_IDLE_MS);
}
