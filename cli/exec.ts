// `mesos-sidecar exec [-i] [-t] [-u USER] [-e NAME=VALUE] TASK -- CMD [ARGS...]`: runs CMD
// inside TASK through its switchboard (LAUNCH_NESTED_CONTAINER_SESSION), like `mesos task
// exec` with docker's flags, and exits with the remote command's status (128+signal when it
// was killed; 127 / 126 when it could not be found / executed).
import { randomUUID } from 'node:crypto';
import type { mesos } from '../proto/codec.js';
import { isOutputStream } from '../switchboard/client.js';
import { attachInput, WIRE_ENCODING, writeOutput, type InputSession } from './attach-io.js';
import { clientFrom, CONNECTION_HELP, parseCommand, reportFailure, usageFailure, resolveTask, UsageError } from './attach-target.js';
import { exitCodeOf, LocalTerminal } from './terminal.js';
import { parseDuration } from '../common/duration.js';
import { SidecarError } from '../common/errors.js';
import { SWITCHBOARD_HEADERS } from '../contracts/switchboard.js';
import { baselineCodeOnly } from '../executor/v8-tuning.js';

export const USAGE = `usage: mesos-sidecar exec [-i] [-t] [-u USER] [-e NAME=VALUE]... [connection options] TASK -- CMD [ARGS...]

Runs CMD in the environment, working directory and user of TASK (a task id or its
container id) and exits with CMD's exit status (127: CMD not found, 126: not executable).
Without -i, CMD's stdin is at end of file from the start.

  -i, --interactive  send local stdin to CMD (EOF closes CMD's stdin)
  -t, --tty          run CMD under a terminal; with -i the local terminal goes raw and
                     follows window resizes, and Ctrl-P Ctrl-Q ends the session (a
                     session lives as long as its connection)
  -u, --user USER    run CMD as USER instead of the task's user (needs a "users"
                     grant in the switchboard's ACL)
  -e, --env NAME=VALUE  set a variable for CMD (repeatable); -e NAME passes the local
                     value of NAME, if it is set
  --hold-checks DURATION  while this session lives, and for at most DURATION (a Mesos
                     duration: 30mins, 2hrs), the task's failing health checks are
                     reported but do not kill it (capped by the operator's maximum;
                     needs HOLD_HEALTH_KILLS in the switchboard's ACL)
${CONNECTION_HELP}`;

/** `-e` values as CommandInfo.environment variables, docker's way: `NAME=VALUE`, or `NAME` for the local value. */
export function environmentFromFlags(flags: readonly string[], local: NodeJS.ProcessEnv = process.env): mesos.Environment.Variable[] {
  const variables: mesos.Environment.Variable[] = [];
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const name = eq === -1 ? flag : flag.slice(0, eq);
    if (!/^[^\s=]+$/.test(name)) throw new UsageError(`-e expects NAME=VALUE or NAME, got '${flag}'`);
    const value = eq === -1 ? local[name] : flag.slice(eq + 1);
    if (value !== undefined) variables.push({ name, type: 'VALUE', value });
  }
  return variables;
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand('exec', USAGE, argv, {
    interactive: { type: 'boolean', short: 'i' },
    tty: { type: 'boolean', short: 't' },
    user: { type: 'string', short: 'u' },
    env: { type: 'string', short: 'e', multiple: true },
    'hold-checks': { type: 'string' },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [taskName, ...command] = positionals;
  if (!taskName || command.length === 0) return usageFailure('exec', USAGE, 'expected TASK -- CMD [ARGS...]');
  const terminal = new LocalTerminal();
  try {
    return await exec(values, taskName, command, terminal);
  } catch (err) {
    terminal.restore();
    return reportFailure('exec', err);
  } finally {
    terminal.restore();
  }
}

type ExecFlags = Parameters<typeof clientFrom>[0] & { interactive?: boolean; tty?: boolean; user?: string; env?: string[]; 'hold-checks'?: string };

/** --hold-checks as the header the switchboard reads; checked here so a typo fails before connecting. */
export function holdHeaders(value: string | undefined): Record<string, string> {
  if (value === undefined) return {};
  let ms: number;
  try {
    ms = parseDuration(value, '--hold-checks');
  } catch (err) {
    if (err instanceof SidecarError) throw new UsageError(err.message);
    throw err;
  }
  if (ms <= 0) throw new UsageError(`--hold-checks: expected a duration above 0, got '${value}'`);
  return { [SWITCHBOARD_HEADERS.holdHealthKills]: value };
}

async function exec(values: ExecFlags, taskName: string, command: string[], terminal: LocalTerminal): Promise<number> {
  const tty = values.tty === true;
  const interactive = values.interactive === true;
  // As docker: only typing into a remote terminal needs a local one.
  if (tty && interactive && !terminal.isTerminal) throw new UsageError('-i -t needs a local terminal on stdin');
  if (values.user === '') throw new UsageError('-u expects a user name');
  if (tty) baselineCodeOnly();
  const variables = environmentFromFlags(values.env ?? []);
  const headers = holdHeaders(values['hold-checks']);
  const client = clientFrom(values);
  const task = await resolveTask(client, taskName);
  if (task.terminated) throw new Error(`task '${task.taskId}' is not running`);
  const containerId = { value: randomUUID(), parent: task.containerId };

  const output = await client.openOutput(
    {
      type: 'LAUNCH_NESTED_CONTAINER_SESSION',
      launch_nested_container_session: {
        container_id: containerId,
        command: {
          value: command[0]!,
          arguments: command,
          shell: false,
          ...(values.user !== undefined ? { user: values.user } : {}),
          ...(variables.length ? { environment: { variables } } : {}),
        },
        ...(tty ? { container: { type: 'MESOS', tty_info: {} } } : {}),
      },
    },
    { encoding: WIRE_ENCODING, headers },
  );
  if (!isOutputStream(output)) throw new Error(`could not start the command (${output.status}): ${output.body.toString().trim() || 'no details'}`);
  const heldUntil = output.headers[SWITCHBOARD_HEADERS.healthKillsHeldUntil.toLowerCase()];
  if (values['hold-checks'] !== undefined) {
    process.stderr.write(heldUntil ? `mesos-sidecar exec: health kills of ${task.taskId} held until ${String(heldUntil)} or the end of this session\n` : `mesos-sidecar exec: the switchboard did not hold the health kills of ${task.taskId}\n`);
  }

  if (interactive && tty) terminal.enterRawMode();
  const input: InputSession = await attachInput(client, containerId, terminal, { tty, ...(interactive ? { stdin: process.stdin } : {}) });
  const finished = writeOutput(output.leasedRecords, process.stdout, process.stderr).then(() => 'ended' as const);
  const outcome = await Promise.race([finished, input.detached.then(() => 'detached' as const)]);
  input.stop();
  terminal.restore();
  if (outcome === 'detached') {
    // Ctrl-P Ctrl-Q: closing the connection ends the session (Mesos destroys it).
    process.stdout.write('\r\n');
    output.destroy();
    return 0;
  }
  return exitCodeOf(await client.wait(containerId, 'WAIT_CONTAINER'));
}
