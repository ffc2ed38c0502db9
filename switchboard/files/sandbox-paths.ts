// The agent's virtual paths for this executor's sandbox (src/slave/slave.cpp attaches it
// as /frameworks/<fid>/executors/<eid>/runs/latest and, deprecated, under its real path),
// and their resolution as src/files/files.cpp does it: the longest attached prefix wins,
// the rest is realpath-resolved and must stay inside the sandbox.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { ExecutorSandbox } from '../../contracts/task-view.js';

export function virtualSandboxPath(sandbox: Pick<ExecutorSandbox, 'frameworkId' | 'executorId'>): string {
  return `/frameworks/${sandbox.frameworkId}/executors/${sandbox.executorId}/runs/latest`;
}

/** Where a task's files are: the default executor's layout, `tasks/<task_id>`. */
export function virtualTaskPath(sandbox: Pick<ExecutorSandbox, 'frameworkId' | 'executorId'>, taskId: string): string {
  return `${virtualSandboxPath(sandbox)}/tasks/${taskId}`;
}

/**
 * Every name the agent gives the sandbox: the virtual path, the real directory, and for a
 * `<work_dir>/slaves/<aid>/frameworks/<fid>/executors/<eid>/runs/<container>` directory
 * its `runs/latest` twin.
 */
export function sandboxNames(sandbox: ExecutorSandbox): string[] {
  const names = new Set([virtualSandboxPath(sandbox), stripTrailingSlashes(sandbox.directory)]);
  const runs = /^(.*\/runs)\/[^/]+$/.exec(stripTrailingSlashes(sandbox.directory));
  if (runs) names.add(`${runs[1]}/latest`);
  return [...names];
}

function stripTrailingSlashes(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** The part of `requested` below the longest sandbox name it starts with ('' for the name itself). */
export function suffixBelow(requested: string, names: readonly string[]): string | undefined {
  const wanted = stripTrailingSlashes(requested);
  let best: string | undefined;
  for (const name of names) {
    if ((wanted === name || wanted.startsWith(`${name}/`)) && (best === undefined || name.length > best.length)) best = name;
  }
  return best === undefined ? undefined : wanted.slice(best.length + 1);
}

/**
 * The task whose sandbox `relative` (a path below the executor sandbox) lies in, read
 * without touching the filesystem; undefined for the executor's own files.
 */
export function taskIdOf(relative: string): string | undefined {
  const normal = path.posix.normalize(relative || '.');
  const [first, second] = normal.split('/');
  return first === 'tasks' && second ? second : undefined;
}

export type Resolution =
  | { kind: 'found'; realPath: string; /** below the sandbox's real path */ relative: string }
  | { kind: 'not-found' }
  /** 400 in the agent: a `..` or a symlink leads out of the sandbox. */
  | { kind: 'inaccessible'; message: string }
  | { kind: 'failed'; message: string };

/** `suffix` below the sandbox, realpath-resolved (symlinks and `..` followed), kept inside. */
export async function resolveInSandbox(directory: string, suffix: string): Promise<Resolution> {
  let root: string;
  try {
    root = await realpath(directory);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'not-found' };
    return { kind: 'failed', message: `Failed to determine canonical path of '${directory}': ${(err as Error).message}` };
  }
  // Joined as text, not path.join: `..` must be resolved after the symlinks before it.
  const joined = suffix ? `${root}/${suffix}` : root;
  // The agent's C strings would end at the NUL and name another file; we refuse instead.
  if (joined.includes('\0')) return { kind: 'failed', message: `Failed to determine canonical path of '${joined.replace(/\0/g, '\\0')}': the path contains a NUL character` };
  let real: string;
  try {
    real = await realpath(joined);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'not-found' };
    return { kind: 'failed', message: `Failed to determine canonical path of '${joined}': ${(err as Error).message}` };
  }
  // Unlike upstream's plain prefix test, `<sandbox>2/...` is not inside `<sandbox>`.
  if (real !== root && !real.startsWith(`${root}/`)) return { kind: 'inaccessible', message: `'${joined}' is inaccessible` };
  return { kind: 'found', realPath: real, relative: path.relative(root, real) };
}
