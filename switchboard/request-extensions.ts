// Our additions to the agent API calls, read from request headers (SWITCHBOARD_HEADERS)
// once, at the edge, into typed values; a bad value is a 400 naming the header. Headers,
// not Call fields: docs/switchboard.md, "Why headers".
import type { IncomingHttpHeaders } from 'node:http';
import { SidecarError } from '../common/errors.js';
import { parseDuration } from '../common/duration.js';
import { SWITCHBOARD_HEADERS as HEADERS } from '../contracts/switchboard.js';
import { MAX_OUTPUT_TAIL_BYTES } from '../process/output-ring.js';
import { badRequest } from './errors.js';

export interface HoldRequest {
  requestedMs: number;
  /** After the operator's maximum. */
  grantedMs: number;
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (Array.isArray(value)) throw badRequest(`${name}: expected one value, got ${value.length}`);
  return value === undefined ? undefined : value.trim();
}

/** Mesos-Sidecar-Hold-Health-Kills: a Mesos duration above 0, capped at `maxMs`. */
export function holdRequest(headers: IncomingHttpHeaders, maxMs: number): HoldRequest | undefined {
  const text = single(headers, HEADERS.holdHealthKills);
  if (text === undefined) return undefined;
  let requestedMs: number;
  try {
    requestedMs = parseDuration(text, HEADERS.holdHealthKills);
  } catch (err) {
    if (err instanceof SidecarError) throw badRequest(err.message);
    throw err;
  }
  if (requestedMs <= 0) throw badRequest(`${HEADERS.holdHealthKills}: expected a duration above 0, got '${text}'`);
  return { requestedMs, grantedMs: Math.min(requestedMs, maxMs) };
}

/** Mesos-Sidecar-Output-Tail: bytes, 0 to MAX_OUTPUT_TAIL_BYTES (more than is kept gives what is kept). */
export function outputTailRequest(headers: IncomingHttpHeaders): number | undefined {
  const text = single(headers, HEADERS.outputTail);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > MAX_OUTPUT_TAIL_BYTES) throw badRequest(`${HEADERS.outputTail}: expected a number of bytes from 0 to ${MAX_OUTPUT_TAIL_BYTES}, got '${text}'`);
  return Number(text);
}
