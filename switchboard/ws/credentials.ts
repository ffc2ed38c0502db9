// The credential a browser can send on a WebSocket: a Sec-WebSocket-Protocol value
// (contracts/ws-gateway.ts), turned into the Authorization header it stands for so that
// auth.ts's one comparison decides. A client that can set headers may send Authorization.
import type { IncomingHttpHeaders } from 'node:http';
import { WS_BASIC_PREFIX, WS_BEARER_PREFIX, WS_SUBPROTOCOL } from '../../contracts/ws-gateway.js';
import { badRequest } from '../errors.js';

/** The values of Sec-WebSocket-Protocol, in the order offered. */
export function offeredProtocols(headers: IncomingHttpHeaders): string[] {
  const value = headers['sec-websocket-protocol'];
  if (value === undefined) return [];
  return value.split(',').map((p) => p.trim()).filter((p) => p !== '');
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The Authorization header equivalent to the credential offered as a subprotocol, else
 * the request's own Authorization header (undefined when there is neither). Two
 * credentials are refused: which one counts would be a guess.
 */
export function authorizationOf(headers: IncomingHttpHeaders, protocols: readonly string[]): string | undefined {
  const offered = protocols.filter((p) => p.startsWith(WS_BEARER_PREFIX) || p.startsWith(WS_BASIC_PREFIX));
  if (offered.length === 0) return headers.authorization;
  if (offered.length > 1) throw badRequest('Sec-WebSocket-Protocol offers more than one credential; offer one');
  const [value] = offered as [string];
  const bearer = value.startsWith(WS_BEARER_PREFIX);
  const encoded = value.slice((bearer ? WS_BEARER_PREFIX : WS_BASIC_PREFIX).length);
  // A malformed value is just a wrong credential: authenticate() answers 401 for it.
  if (!BASE64URL.test(encoded)) return bearer ? 'Bearer' : 'Basic';
  const decoded = Buffer.from(encoded, 'base64url');
  return bearer ? `Bearer ${decoded.toString('utf8')}` : `Basic ${decoded.toString('base64')}`;
}

/** The protocol the server selects; never a credential. */
export function selectProtocol(protocols: ReadonlySet<string>): string | false {
  return protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false;
}
