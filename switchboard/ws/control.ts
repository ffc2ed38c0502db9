// The gateway's JSON control messages (contracts/ws-gateway.ts): a client's text frame
// parsed once into a typed message or a reason to close the socket with 1008, and the
// server's messages built from what the switchboard knows.
import { waitStatusParts } from '../../common/process.js';
import type { WsClientMessage, WsServerMessage } from '../../contracts/ws-gateway.js';

/** A text frame larger than this is not a control message. */
export const MAX_CONTROL_BYTES = 1024;
const MAX_WINDOW = 65_535;

export type ParsedControl = { ok: true; message: WsClientMessage } | { ok: false; reason: string };

const dimension = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_WINDOW;

export function parseControl(text: string): ParsedControl {
  if (Buffer.byteLength(text) > MAX_CONTROL_BYTES) return { ok: false, reason: `control message longer than ${MAX_CONTROL_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'text frame is not JSON; terminal data goes in binary frames' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'control message must be a JSON object with "type"' };
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'resize':
      if (!dimension(m.columns) || !dimension(m.rows)) return { ok: false, reason: `resize: columns and rows must be integers from 1 to ${MAX_WINDOW}` };
      return { ok: true, message: { type: 'resize', columns: m.columns, rows: m.rows } };
    case 'stdin-end':
      return { ok: true, message: { type: 'stdin-end' } };
    default:
      return { ok: false, reason: `unknown control message type ${JSON.stringify(m.type)?.slice(0, 40) ?? 'undefined'} (expected resize or stdin-end)` };
  }
}

export function exitMessage(waitStatus: number | undefined, message?: string): WsServerMessage {
  const { exitCode, signal } = waitStatusParts(waitStatus);
  return { type: 'exit', exit_status: waitStatus ?? null, exit_code: exitCode, signal, ...(message ? { message } : {}) };
}

/**
 * A close frame's reason is at most 123 bytes (RFC 6455 §5.5); longer ones would make
 * ws throw. Cut on a character boundary.
 */
export function closeReason(reason: string): string {
  let out = reason;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}
