// The page's side of the WebSocket gateway's protocol (contracts/ws-gateway.ts): the URL of
// a session, the subprotocols that carry the credential, and the server's control messages
// read once into typed values. Pure functions; terminal.ts does the I/O.
import { WS_ATTACH_PREFIX, WS_BEARER_PREFIX, WS_EXEC_PREFIX, WS_QUERY, WS_SUBPROTOCOL, type WsServerMessage } from './contracts/ws-gateway.js';

export type TerminalTarget = { kind: 'exec'; taskId: string; command: string } | { kind: 'attach'; taskId: string };

export interface WindowSize {
  columns: number;
  rows: number;
}

/**
 * ws(s)://host/ws/exec/<task>?tty=1&columns=..&rows=..[&command=..], or /ws/attach/<task>
 * (whose size follows as a `resize` once attached): never a credential in it.
 */
export function gatewayUrl(page: { protocol: string; host: string }, target: TerminalTarget, size: WindowSize): string {
  const scheme = page.protocol === 'https:' ? 'wss:' : 'ws:';
  if (target.kind === 'attach') return `${scheme}//${page.host}${WS_ATTACH_PREFIX}${encodeURIComponent(target.taskId)}`;
  const query = new URLSearchParams({ [WS_QUERY.tty]: '1', [WS_QUERY.columns]: String(size.columns), [WS_QUERY.rows]: String(size.rows) });
  // Empty: the gateway runs the task's shell.
  if (target.command.trim()) query.set(WS_QUERY.command, target.command);
  return `${scheme}//${page.host}${WS_EXEC_PREFIX}${encodeURIComponent(target.taskId)}?${query}`;
}

/** base64url without padding: `=` is not allowed in a Sec-WebSocket-Protocol token. */
export function base64url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** What the page offers: the protocol version and the bearer credential. */
export function credentialProtocols(token: string): string[] {
  return [WS_SUBPROTOCOL, `${WS_BEARER_PREFIX}${base64url(token)}`];
}

/** A text frame from the server, or why it is not one we know (shown, never thrown). */
export function parseServerMessage(text: string): WsServerMessage | { type: 'unknown'; text: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { type: 'unknown', text };
  }
  const type = (value as { type?: unknown } | null)?.type;
  if (type === 'started' || type === 'exit' || type === 'error') return value as WsServerMessage;
  return { type: 'unknown', text };
}

/** `exited with status 3`, `killed by signal 9`, or the server's message. */
export function describeExit(exit: Extract<WsServerMessage, { type: 'exit' }>): string {
  if (exit.exit_code !== null) return `exited with status ${exit.exit_code}`;
  if (exit.signal !== null) return `killed by signal ${exit.signal}`;
  return exit.message ? `ended: ${exit.message}` : 'ended (status unknown)';
}

/** Close codes the gateway uses, as a sentence (1006 is the browser's: no close frame came). */
export function describeClose(code: number, reason: string): string {
  if (reason) return `closed: ${reason} (${code})`;
  if (code === 1006) return 'connection lost or refused (the switchboard answered the upgrade with an error, or went away)';
  return `closed (${code})`;
}
