// What a CommandInfo runs and where the executable is, decided before anything forks, for
// tasks and exec sessions alike (upstream src/launcher/executor.cpp and
// src/slave/containerizer/mesos/launch.cpp build argv the same way).
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import path from 'node:path';
import { LaunchError } from '../common/errors.js';
import type { mesos } from '../proto/codec.js';

/** The PATH Mesos' launcher gives a command whose environment has none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Argv {
  file: string;
  args: string[];
  argv0: string;
}

/** `CommandInfo.value` is missing or empty: there is nothing to run. */
export class CommandValueMissingError extends LaunchError {
  constructor() {
    super('CommandInfo.value is not set');
  }
}

/** shell (the default) → `/bin/sh -c value`; otherwise `value` runs with `arguments` as its full argv. */
export function commandArgv(command: mesos.CommandInfo): Argv {
  const value = command.value;
  if (value === undefined || value === '') throw new CommandValueMissingError();
  // `shell` has a [default = true]; absent means shell form.
  if (command.shell !== false) return { file: '/bin/sh', args: ['-c', value], argv0: 'sh' };
  const argv = command.arguments ?? [];
  return { file: value, args: argv.slice(1), argv0: argv[0] ?? value };
}

/**
 * Why a command cannot be executed, with the status a shell gives it: 127 when there is no
 * such file, 126 when there is one that cannot be executed.
 */
export type ExecutableMissing =
  | { exitCode: 127; reason: 'not-found' }
  | { exitCode: 126; reason: 'Permission denied' | 'Is a directory' };

/**
 * Where `file` is, as execvp(3) finds it: relative to `cwd` when it has a slash, else the
 * first usable entry of `envPath`. A file found but unusable is remembered, so that when
 * nothing later in PATH runs the answer is 126, not "not found".
 */
export function locateExecutable(file: string, envPath: string | undefined, cwd: string, root = ''): { path: string } | ExecutableMissing {
  const candidates = file.includes('/') ? [path.resolve(cwd, file)] : (envPath ?? '').split(':').filter(Boolean).map((d) => path.join(d, file));
  let unusable: 'Permission denied' | 'Is a directory' | undefined;
  for (const candidate of candidates) {
    // `root`: another mount namespace's view (`/proc/<pid>/root`); the path found is its own.
    const seen = root ? root + path.resolve(cwd, candidate) : candidate;
    let isFile: boolean;
    try {
      isFile = statSync(seen).isFile();
    } catch {
      continue; // not here: try the next PATH entry
    }
    if (!isFile) {
      unusable ??= 'Is a directory';
      continue;
    }
    try {
      accessSync(seen, fsConstants.X_OK);
      return { path: candidate };
    } catch {
      unusable ??= 'Permission denied';
    }
  }
  return unusable ? { exitCode: 126, reason: unusable } : { exitCode: 127, reason: 'not-found' };
}

/** locateExecutable for a task: a LaunchError (TASK_FAILED's message) when it cannot run. */
export function resolveExecutable(file: string, envPath: string | undefined, cwd: string): string {
  const found = locateExecutable(file, envPath, cwd);
  if ('path' in found) return found.path;
  if (found.reason !== 'not-found') throw new LaunchError(`Failed to execute '${file}': ${found.reason}`);
  throw new LaunchError(`Failed to execute '${file}': no such executable file${file.includes('/') ? '' : ' on PATH'}`);
}
