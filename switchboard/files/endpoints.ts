// The agent's files API for this executor's sandbox: GET /files/browse, /files/read and
// /files/download with the agent's query parameters, bodies and status codes
// (src/files/files.cpp), authorized per task with the ACL call ACCESS_SANDBOX.
import { constants } from 'node:fs';
import { open, opendir, stat, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ExecutorSandbox } from '../../contracts/task-view.js';
import { authorized } from '../acl.js';
import type { SwitchboardState } from '../calls/context.js';
import { badRequest, forbidden, internalError, notFound, SwitchboardHttpError } from '../errors.js';
import { fileInfoJson, loadOwnerNames } from './file-info.js';
import { jsonStringOfBytes } from './json-bytes.js';
import { parseBrowseQuery, parseDownloadQuery, parseReadQuery } from './query.js';
import { resolveInSandbox, sandboxNames, suffixBelow, taskIdOf } from './sandbox-paths.js';

export const FILES_PREFIX = '/files/';
export const ACCESS_SANDBOX = 'ACCESS_SANDBOX';

/** The agent reads at most 16 pages per /files/read (4 KiB pages on Linux x86-64 and most arm64). */
export const READ_LIMIT = 16 * 4096;
/** A directory with more entries is refused rather than listed into one unbounded body. */
export const MAX_BROWSE_ENTRIES = 10_000;

const MIME_TYPES: Record<string, string> = {
  '.sh': 'application/x-sh',
  '.js': 'application/x-javascript',
  '.css': 'text/css',
  '.pdf': 'application/pdf',
  '.jpg': 'image/jpeg',
  '.xml': 'text/xml',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.txt': 'text/plain',
  '.zip': 'application/zip',
  '.png': 'image/png',
  '.tar': 'application/x-tar',
};

interface Located {
  requested: string;
  realPath: string;
}

function refuse(state: SwitchboardState, principal: string, requested: string, taskId: string | undefined): never {
  state.logger.warn({ principal, call: ACCESS_SANDBOX, path: requested, task_id: taskId }, 'sandbox access not authorized by the ACL');
  throw forbidden();
}

/**
 * Authorizes and resolves a virtual path. The ACL is asked before the filesystem is
 * touched (as the agent does), for the task the path names, and again for the task it
 * really lies in when a symlink leads from one task's sandbox into another's.
 */
async function locate(state: SwitchboardState, principal: string, sandbox: ExecutorSandbox, requested: string): Promise<Located> {
  const suffix = suffixBelow(requested, sandboxNames(sandbox));
  if (suffix === undefined) throw notFound('');
  const named = taskIdOf(suffix);
  if (!authorized(state.acl, principal, ACCESS_SANDBOX, named)) refuse(state, principal, requested, named);
  const resolution = await resolveInSandbox(sandbox.directory, suffix);
  switch (resolution.kind) {
    case 'not-found':
      throw notFound('');
    case 'inaccessible':
      state.logger.warn({ principal, path: requested, task_id: named }, 'sandbox path refused: it leads outside the sandbox');
      throw badRequest(`${resolution.message}.\n`);
    case 'failed':
      throw badRequest(`${resolution.message}.\n`);
  }
  const actual = taskIdOf(resolution.relative);
  if (actual !== named && !authorized(state.acl, principal, ACCESS_SANDBOX, actual)) refuse(state, principal, requested, actual);
  return { requested, realPath: resolution.realPath };
}

function sendJson(res: ServerResponse, json: Buffer, jsonp: string | undefined): void {
  const body = jsonp === undefined ? json : Buffer.concat([Buffer.from(`${jsonp}(`), json, Buffer.from(')')]);
  res.writeHead(200, { 'Content-Type': jsonp === undefined ? 'application/json' : 'text/javascript', 'Content-Length': body.length });
  res.end(body);
}

/**
 * Opens the resolved path without following a symlink swapped in since the realpath
 * check, and without blocking on a FIFO. Only directories (for the caller's refusal)
 * and regular files come back.
 */
async function openResolved(located: Located, directoryRefusal: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(located.realPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound('');
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw badRequest(`'${located.realPath}' is inaccessible.\n`);
    throw internalError(`Failed to open file at '${located.realPath}': ${(err as Error).message}.\n`);
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) throw badRequest(directoryRefusal);
    if (!stats.isFile()) throw internalError(`Failed to open file at '${located.realPath}': not a regular file.\n`);
    return { handle, size: stats.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

async function read(state: SwitchboardState, principal: string, sandbox: ExecutorSandbox, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const request = parseReadQuery(query);
  const located = await locate(state, principal, sandbox, request.path);
  const { handle, size } = await openResolved(located, 'Cannot read a directory.\n');
  try {
    const fileSize = BigInt(size);
    let data = Buffer.alloc(0);
    const { offset } = request;
    if (offset !== 'size' && offset < fileSize) {
      const wanted = request.length ?? fileSize - offset;
      const length = Number(wanted < BigInt(READ_LIMIT) ? wanted : BigInt(READ_LIMIT));
      if (length > 0) {
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, Number(offset));
        data = buffer.subarray(0, bytesRead);
      }
    }
    // std::map order, as the agent prints it: "data" before "offset".
    const json = Buffer.concat([Buffer.from('{"data":'), jsonStringOfBytes(data), Buffer.from(`,"offset":${offset === 'size' ? fileSize : offset}}`)]);
    sendJson(res, json, request.jsonp);
  } finally {
    await handle.close();
  }
}

async function browse(state: SwitchboardState, principal: string, sandbox: ExecutorSandbox, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const request = parseBrowseQuery(query);
  const located = await locate(state, principal, sandbox, request.path);
  const entries: { name: Buffer; json: Buffer }[] = [];
  // A file, or a directory we cannot list, gives an empty listing, as os::ls failing does.
  if ((await stat(located.realPath).catch(() => undefined))?.isDirectory()) {
    const names: Buffer[] = [];
    try {
      const dir = await opendir(located.realPath, { encoding: 'buffer' as BufferEncoding });
      for await (const entry of dir) {
        if (names.length === MAX_BROWSE_ENTRIES) {
          throw internalError(`Failed to browse '${request.path}': more than ${MAX_BROWSE_ENTRIES} entries; browse a subdirectory.\n`);
        }
        names.push(entry.name as unknown as Buffer);
      }
    } catch (err) {
      if (err instanceof SwitchboardHttpError) throw err;
    }
    const owners = await loadOwnerNames();
    const base = Buffer.from(request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path);
    for (const name of names) {
      const stats = await stat(Buffer.concat([Buffer.from(`${located.realPath}/`), name])).catch(() => undefined);
      if (!stats) continue;
      entries.push({ name, json: fileInfoJson(Buffer.concat([base, Buffer.from('/'), name]), stats, owners) });
    }
  }
  entries.sort((a, b) => Buffer.compare(a.name, b.name));
  const comma = Buffer.from(',');
  sendJson(res, Buffer.concat([Buffer.from('['), ...entries.flatMap((e, i) => (i ? [comma, e.json] : [e.json])), Buffer.from(']')]), request.jsonp);
}

// Only printable ASCII goes into the header; anything else would make Node throw.
const headerSafe = (name: string) => name.replace(/[^\x20-\x7e]|"/g, '_');

async function download(state: SwitchboardState, principal: string, sandbox: ExecutorSandbox, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const request = parseDownloadQuery(query);
  const located = await locate(state, principal, sandbox, request.path);
  const { handle, size } = await openResolved(located, 'Cannot download a directory.\n');
  const basename = path.basename(located.realPath);
  // The size at open time: a file that grows meanwhile is cut there, so Content-Length holds.
  res.writeHead(200, {
    'Content-Type': MIME_TYPES[path.extname(basename)] ?? 'application/octet-stream',
    'Content-Disposition': `attachment; filename=${headerSafe(basename)}`,
    'Content-Length': size,
  });
  if (size === 0) {
    await handle.close();
    res.end();
    return;
  }
  try {
    await pipeline(handle.createReadStream({ start: 0, end: size - 1 }), res);
  } catch (err) {
    // The client went away mid-download: nothing to answer any more.
    state.logger.debug({ err, path: request.path }, 'download cut off');
  }
}

const ENDPOINTS: Record<string, typeof read> = { browse, read, download };

/** GET /files/<endpoint>?...; 404 for other endpoints and when the registry has no sandbox. */
export async function serveFiles(state: SwitchboardState, req: IncomingMessage, res: ServerResponse, principal: string): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://switchboard');
  const name = url.pathname.slice(FILES_PREFIX.length);
  const endpoint = Object.hasOwn(ENDPOINTS, name) ? ENDPOINTS[name] : undefined;
  if (!endpoint) throw notFound('');
  if (req.method !== 'GET') throw new SwitchboardHttpError('E_METHOD', 405, `405 Method Not Allowed. Expecting one of { 'GET' }, but received '${req.method}'.`, { Allow: 'GET' });
  const sandbox = state.containers.registry.sandbox?.();
  if (!sandbox) throw notFound('');
  state.logger.debug({ principal, endpoint: url.pathname, path: url.searchParams.get('path') }, 'files request');
  await endpoint(state, principal, sandbox, url.searchParams, res);
}
