// A refused upgrade is answered as plain HTTP on the raw socket (no WebSocket exists yet):
// the status the agent API would give, a text body saying why, and the connection closed.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SwitchboardHttpError } from '../errors.js';

// What the agent API leaves empty (401, 403) still gets words here: a browser's only view
// of a failed handshake is the status, but curl and the logs show the body.
const DEFAULT_BODIES: Record<number, string> = {
  401: 'Authentication required: offer mesos-sidecar.v1 and bearer.<base64url(token)> or basic.<base64url(principal:secret)> in Sec-WebSocket-Protocol',
  403: 'Forbidden by the switchboard ACL',
  404: 'Not found',
};

export function refuseUpgrade(socket: Duplex, error: SwitchboardHttpError): void {
  if (socket.destroyed) return;
  const body = error.body || DEFAULT_BODIES[error.status] || '';
  const lines = [`HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}`, 'Connection: close', 'Content-Type: text/plain; charset=utf-8', `Content-Length: ${Buffer.byteLength(body)}`];
  for (const [name, value] of Object.entries(error.headers)) for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
