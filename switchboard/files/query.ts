// The query strings of /files/browse, /files/read and /files/download, parsed once into
// typed values with the agent's own 400 texts (src/files/files.cpp). Numbers are parsed
// as stout's numify<off_t> does (decimal with an optional sign, or 0x hex; int64 range).
import { badRequest } from '../errors.js';

export interface BrowseRequest {
  path: string;
  jsonp: string | undefined;
}

export interface ReadRequest {
  path: string;
  /** `size`: offset absent or -1, the reply carries no data and the file's size. */
  offset: bigint | 'size';
  /** undefined: absent or -1, read to the end (still capped at READ_LIMIT). */
  length: bigint | undefined;
  jsonp: string | undefined;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** numify<int64>: the value, or stout's error text. */
export function parseInteger(text: string): bigint | string {
  const m = /^([+-]?)(?:0[xX]([0-9a-fA-F]+)|(\d+))$/.exec(text);
  const fail = `Failed to convert '${text}' to number`;
  if (!m) return fail;
  const magnitude = m[2] !== undefined ? BigInt(`0x${m[2]}`) : BigInt(m[3]!);
  const value = m[1] === '-' ? -magnitude : magnitude;
  return value < INT64_MIN || value > INT64_MAX ? fail : value;
}

function requirePath(query: URLSearchParams): string {
  const path = query.get('path');
  if (!path) throw badRequest("Expecting 'path=value' in query.\n");
  return path;
}

// [Decision] Mesos pastes `jsonp` into a text/javascript body unchecked; we only take a
// JavaScript callback name (dotted identifiers), so the parameter cannot inject script.
const CALLBACK = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;

function jsonpOf(query: URLSearchParams): string | undefined {
  const jsonp = query.get('jsonp');
  if (jsonp === null) return undefined;
  if (!CALLBACK.test(jsonp) || jsonp.length > 128) throw badRequest(`Invalid 'jsonp' callback name: expecting a JavaScript identifier of at most 128 characters.\n`);
  return jsonp;
}

export function parseBrowseQuery(query: URLSearchParams): BrowseRequest {
  return { path: requirePath(query), jsonp: jsonpOf(query) };
}

export function parseDownloadQuery(query: URLSearchParams): { path: string } {
  return { path: requirePath(query) };
}

export function parseReadQuery(query: URLSearchParams): ReadRequest {
  const path = requirePath(query);
  const offset = optionalCount(query, 'offset') ?? 'size';
  const length = optionalCount(query, 'length');
  return { path, offset, length, jsonp: jsonpOf(query) };
}

/** `offset` or `length`: absent or -1 is undefined (Mesos' files/read: "not given"). */
function optionalCount(query: URLSearchParams, name: 'offset' | 'length'): bigint | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const value = parseInteger(text);
  if (typeof value === 'string') throw badRequest(`Failed to parse ${name}: ${value}.\n`);
  if (value < -1n) throw badRequest(`Negative ${name} provided: ${value}.\n`);
  return value === -1n ? undefined : value;
}
