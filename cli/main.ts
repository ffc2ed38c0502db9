// `mesos-sidecar <command> [args]`: finds cli/<command>.js by name and hands it the rest of
// argv, so a command is added by dropping in a module that exports `main`, without
// touching this file. Exit codes: the command's own, 2 for usage errors.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** What every cli/<command>.ts exports. */
export type CommandMain = (argv: string[]) => Promise<number>;

// Only for the help text; dispatch itself goes by file name.
const COMMANDS: ReadonlyArray<[name: string, summary: string]> = [
  ['run', 'run a TaskInfo or TaskGroupInfo (Mesos JSON) in the embedded local agent'],
  ['check', 'run a HealthCheck or CheckInfo (Mesos JSON) once or --watch against a local target'],
  ['exec', 'run a command inside a running task through its IO switchboard (exec -it TASK -- CMD)'],
  ['attach', "attach to a running TTY task's terminal"],
  ['ps', 'list the tasks of an executor through its switchboard (--json for scripts)'],
  ['logs', "print a task's stdout or stderr from its sandbox (-f follows, --tail N)"],
];

// A command name is a plain lowercase word: never a path, never this module.
const COMMAND_NAME = /^[a-z][a-z0-9-]*$/;
const NOT_COMMANDS = new Set(['main']);

export function usage(): string {
  const width = Math.max(...COMMANDS.map(([n]) => n.length));
  return [
    'usage: mesos-sidecar <command> [args]',
    '       mesos-sidecar --help | --version',
    '',
    'commands:',
    ...COMMANDS.map(([n, s]) => `  ${n.padEnd(width)}  ${s}`),
    '',
    "Run 'mesos-sidecar <command> --help' for a command's options.",
    'Environment: MESOS_SIDECAR_LOG_LEVEL (trace|debug|info|warn|error|fatal|silent) sets the level of the logs on stderr;',
    'MESOS_SIDECAR_LOG_FORMAT (json|pretty) their format (default: pretty on a terminal, JSON otherwise).',
  ].join('\n');
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function loadCommand(name: string): Promise<CommandMain | undefined> {
  if (!COMMAND_NAME.test(name) || NOT_COMMANDS.has(name)) return undefined;
  const file = new URL(`./${name}.js`, import.meta.url);
  if (!existsSync(fileURLToPath(file))) return undefined;
  // A command that exists but fails to load (a dependency of its own is missing) throws.
  const mod = (await import(file.href)) as { main?: unknown };
  return typeof mod.main === 'function' ? (mod.main as CommandMain) : undefined;
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first.startsWith('-')) {
    let values: { help?: boolean; version?: boolean };
    try {
      ({ values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'V' } } }));
    } catch (err) {
      process.stderr.write(`mesos-sidecar: ${(err as Error).message}\n${usage()}\n`);
      return 2;
    }
    if (values.version) {
      process.stdout.write(`mesos-sidecar ${version()}\n`);
      return 0;
    }
    if (values.help) {
      process.stdout.write(`${usage()}\n`);
      return 0;
    }
    process.stderr.write(`${usage()}\n`);
    return 2;
  }
  if (first === 'help') {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const command = await loadCommand(first);
  if (!command) {
    process.stderr.write(`mesos-sidecar: unknown command '${first}'\n${usage()}\n`);
    return 2;
  }
  return command(rest);
}

/** Entry for bin/mesos-sidecar and `node dist/cli/main.js`. */
export function runCli(argv = process.argv.slice(2)): void {
  main(argv).then(
    // process.exit, not exitCode: a command must not be kept alive by a handle it forgot
    // (stdout and stderr are synchronous on Linux for files, pipes and terminals).
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`mesos-sidecar: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) runCli();
