// One entry of /files/browse as the agent models it (src/common/http.cpp `model`, from
// protobuf::createFileInfo): virtual path, nlink, size, mtime in seconds, an `ls -l` style
// mode, and owner and group names (their numbers as strings when the name is unknown).
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { jsonStringOfBytes } from './json-bytes.js';

const TYPE_CHARS: ReadonlyArray<[number, string]> = [
  [constants.S_IFREG, '-'],
  [constants.S_IFDIR, 'd'],
  [constants.S_IFCHR, 'c'],
  [constants.S_IFBLK, 'b'],
  [constants.S_IFIFO, 'p'],
  [constants.S_IFLNK, 'l'],
  [constants.S_IFSOCK, 's'],
];

/** `drwxr-xr-x` from a raw st_mode (setuid/sticky bits are not shown, as upstream). */
export function modeString(mode: number): string {
  const type = TYPE_CHARS.find(([bits]) => (mode & constants.S_IFMT) === bits)?.[1] ?? '-';
  let perms = '';
  for (let shift = 6; shift >= 0; shift -= 3) {
    const bits = (mode >> shift) & 7;
    perms += `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`;
  }
  return type + perms;
}

/** Numeric id → name, from an /etc/passwd or /etc/group text (name:x:id:...). */
export function parseIdNames(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (!name || id === undefined || !/^\d+$/.test(id)) continue;
    // The first entry wins, as getpwuid(3) returns it.
    if (!names.has(Number(id))) names.set(Number(id), name);
  }
  return names;
}

export interface OwnerNames {
  users: Map<number, string>;
  groups: Map<number, string>;
}

// Node has no getpwuid: read the files, bounded (a huge or special file is not a database).
const MAX_ID_FILE_BYTES = 4 * 1024 * 1024;

async function readBounded(file: string): Promise<string> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const buffer = Buffer.alloc(Math.min((await handle.stat()).size, MAX_ID_FILE_BYTES));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.toString('utf8', 0, bytesRead);
  } catch {
    return '';
  } finally {
    await handle?.close();
  }
}

export async function loadOwnerNames(passwd = '/etc/passwd', group = '/etc/group'): Promise<OwnerNames> {
  const [users, groups] = await Promise.all([readBounded(passwd), readBounded(group)]);
  return { users: parseIdNames(users), groups: parseIdNames(groups) };
}

/** The JSON object of one entry; `virtualPath` is bytes because file names are. */
export function fileInfoJson(virtualPath: Buffer, stats: Stats, names: OwnerNames): Buffer {
  const rest = {
    nlink: stats.nlink,
    size: stats.size,
    mtime: Math.floor(stats.mtimeMs / 1000),
    mode: modeString(stats.mode),
    uid: names.users.get(stats.uid) ?? String(stats.uid),
    gid: names.groups.get(stats.gid) ?? String(stats.gid),
  };
  // `path` first, then the rest as the agent orders it.
  return Buffer.concat([Buffer.from('{"path":'), jsonStringOfBytes(virtualPath), Buffer.from(`,${JSON.stringify(rest).slice(1)}`)]);
}
