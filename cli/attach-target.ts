// Where the switchboard is and which container a TASK names. Without a master to ask,
// TASK is looked up in the switchboard's read-only GET /tasks: a task id, or a container
// id (the `value`, or the dotted `<executor>.<task container>` form).
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { mesos } from '../proto/codec.js';
import { SwitchboardClient } from '../switchboard/client.js';
import { containerIdText } from '../switchboard/container-id.js';

export class UsageError extends Error {
  readonly code = 'E_USAGE';
}

/** Prints why `command` failed; the exit code is 2 for a usage error, 1 for anything else. */
export function reportFailure(command: string, err: unknown): number {
  process.stderr.write(`mesos-sidecar ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
  return err instanceof UsageError ? 2 : 1;
}

export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  principal: { type: 'string' },
  secret: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const CONNECTION_HELP = `  --url URL          switchboard URL (http://HOST:PORT or unix:/PATH); env MESOS_SIDECAR_SWITCHBOARD_URL
  --token TOKEN      bearer token; env MESOS_SIDECAR_SWITCHBOARD_TOKEN
  --token-file FILE  read the bearer token from FILE (first line); env MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE
  --principal P --secret S   basic credentials instead of a token`;

export function clientFrom(values: { url?: string; token?: string; 'token-file'?: string; principal?: string; secret?: string }, env = process.env): SwitchboardClient {
  const url = values.url ?? env.MESOS_SIDECAR_SWITCHBOARD_URL;
  if (!url) throw new UsageError('no switchboard URL: pass --url or set MESOS_SIDECAR_SWITCHBOARD_URL');
  let token = values.token ?? env.MESOS_SIDECAR_SWITCHBOARD_TOKEN;
  const tokenFile = values['token-file'] ?? (token ? undefined : env.MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE);
  if (!token && tokenFile) {
    const line = readFileSync(tokenFile, 'utf8').split('\n').find((l) => l.trim() && !l.startsWith('#'));
    if (!line) throw new UsageError(`${tokenFile} holds no token`);
    // `principal:token` lines are the server's format; the client only needs the token.
    token = line.includes(':') ? line.slice(line.indexOf(':') + 1).trim() : line.trim();
  }
  if (!token && values.principal === undefined) throw new UsageError('no credentials: pass --token, --token-file or --principal/--secret (or set MESOS_SIDECAR_SWITCHBOARD_TOKEN)');
  return new SwitchboardClient({ url, ...(token ? { token } : { principal: values.principal!, secret: values.secret ?? '' }) });
}

export interface ResolvedTask {
  taskId: string;
  containerId: mesos.ContainerID;
  tty: boolean;
  terminated: boolean;
  /** The task's sandbox as a /files path; null when the switchboard serves no files. */
  sandboxPath: string | null;
}

export async function resolveTask(client: SwitchboardClient, name: string): Promise<ResolvedTask> {
  const { tasks } = await client.tasks();
  const matches = tasks.filter((t) => t.task_id === name || t.container_id.value === name || containerIdText(t.container_id) === name);
  if (matches.length === 0) throw new UsageError(`no task '${name}' on this switchboard (known: ${tasks.map((t) => t.task_id).join(', ') || 'none'})`);
  if (matches.length > 1) throw new UsageError(`'${name}' names several tasks: ${matches.map((t) => t.task_id).join(', ')}`);
  const t = matches[0]!;
  return { taskId: t.task_id, containerId: t.container_id, tty: t.tty, terminated: t.terminated, sandboxPath: t.sandbox_path ?? null };
}

/** A usage error of `command`: the reason and the usage on stderr, exit 2. */
export function usageFailure(command: string, usage: string, message: string): number {
  process.stderr.write(`mesos-sidecar ${command}: ${message}\n${usage}\n`);
  return 2;
}

/**
 * The switchboard commands' argument parsing: the connection options plus `options`; a
 * bad option is a usage failure, `--help` prints the usage and exits 0. Returns the parse,
 * or the exit code when the command ends here.
 */
export function parseCommand<const O extends NonNullable<ParseArgsConfig['options']>>(command: string, usage: string, argv: string[], options: O) {
  type Config = { args: string[]; allowPositionals: true; options: typeof CONNECTION_OPTIONS & O };
  let parsed;
  try {
    parsed = parseArgs<Config>({ args: argv, allowPositionals: true, options: { ...CONNECTION_OPTIONS, ...options } });
  } catch (err) {
    return usageFailure(command, usage, (err as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  return parsed;
}
