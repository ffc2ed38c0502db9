// A gateway request's path and query, parsed once into what the session or attach needs
// (contracts/ws-gateway.ts); anything else is a 400 naming the parameter.
import { WS_ATTACH_PREFIX, WS_EXEC_PREFIX, WS_QUERY } from '../../contracts/ws-gateway.js';
import type { mesos } from '../../proto/codec.js';
import { MAX_OUTPUT_TAIL_BYTES } from '../../process/output-ring.js';
import { badRequest } from '../errors.js';

export type GatewayTarget = { kind: 'exec' | 'attach'; taskId: string; query: URLSearchParams };

export interface ExecRequest {
  command: mesos.CommandInfo;
  /** Present for `tty=1`, with the first window size when given. */
  tty?: mesos.TTYInfo;
}

export interface AttachRequest {
  /** Recent output to replay first (bytes), when asked for. */
  tail?: number;
}

/** Which gateway endpoint the URL names; undefined for any other path (404). */
export function gatewayTarget(url: string): GatewayTarget | undefined {
  const question = url.indexOf('?');
  const path = question === -1 ? url : url.slice(0, question);
  const query = new URLSearchParams(question === -1 ? '' : url.slice(question + 1));
  for (const [prefix, kind] of [[WS_EXEC_PREFIX, 'exec'], [WS_ATTACH_PREFIX, 'attach']] as const) {
    if (!path.startsWith(prefix)) continue;
    const encoded = path.slice(prefix.length);
    if (encoded === '' || encoded.includes('/')) return undefined;
    let taskId: string;
    try {
      taskId = decodeURIComponent(encoded);
    } catch {
      throw badRequest(`The task id in ${path} is not valid URL encoding`);
    }
    return { kind, taskId, query };
  }
  return undefined;
}

function onlyKnown(query: URLSearchParams, known: readonly string[]): void {
  for (const key of new Set(query.keys())) {
    if (!known.includes(key)) throw badRequest(`Unknown query parameter '${key}' (expected ${known.join(', ')})`);
  }
}

function single(query: URLSearchParams, key: string): string | undefined {
  const values = query.getAll(key);
  if (values.length > 1) throw badRequest(`Query parameter '${key}' given ${values.length} times; expected once`);
  return values[0];
}

const MAX_WINDOW = 65_535;

function windowDimension(query: URLSearchParams, key: string): number | undefined {
  const text = single(query, key);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_WINDOW) throw badRequest(`Query parameter '${key}': expected an integer from 1 to ${MAX_WINDOW}, got '${text}'`);
  return Number(text);
}

export function parseExecQuery(query: URLSearchParams): ExecRequest {
  onlyKnown(query, Object.values(WS_QUERY));
  const ttyText = single(query, WS_QUERY.tty);
  if (ttyText !== undefined && ttyText !== '0' && ttyText !== '1') throw badRequest(`Query parameter 'tty': expected 1 or 0, got '${ttyText}'`);
  const tty = ttyText === '1';
  const columns = windowDimension(query, WS_QUERY.columns);
  const rows = windowDimension(query, WS_QUERY.rows);
  if (!tty && (columns !== undefined || rows !== undefined)) throw badRequest("Query parameters 'columns' and 'rows' need 'tty=1'");
  if ((columns === undefined) !== (rows === undefined)) throw badRequest("Query parameters 'columns' and 'rows' go together");
  const line = single(query, WS_QUERY.command);
  const args = query.getAll(WS_QUERY.arg);
  if (line !== undefined && args.length > 0) throw badRequest("Give the command either as 'command' (a shell line) or as 'arg' values, not both");
  if (line === '') throw badRequest("Query parameter 'command' is empty");
  const user = single(query, WS_QUERY.user);
  if (user === '') throw badRequest("Query parameter 'user' is empty; leave it out to run as the task's user");
  let command: mesos.CommandInfo;
  if (line !== undefined) command = { shell: true, value: line };
  else if (args.length > 0) command = { shell: false, value: args[0]!, arguments: args };
  else command = { shell: false, value: '/bin/sh', arguments: ['/bin/sh'] };
  if (user !== undefined) command.user = user;
  return {
    command,
    ...(tty ? { tty: columns !== undefined ? { window_size: { columns, rows: rows! } } : {} } : {}),
  };
}

export function parseAttachQuery(query: URLSearchParams): AttachRequest {
  onlyKnown(query, ['tail']);
  const text = single(query, 'tail');
  if (text === undefined) return {};
  if (!/^\d+$/.test(text) || Number(text) > MAX_OUTPUT_TAIL_BYTES) throw badRequest(`Query parameter 'tail': expected a number of bytes from 0 to ${MAX_OUTPUT_TAIL_BYTES}, got '${text}'`);
  return { tail: Number(text) };
}
