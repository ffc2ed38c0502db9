// `mesos-sidecar exec [-i] [-t] TASK -- CMD [ARGS...]`: runs CMD inside TASK through its
// switchboard (LAUNCH_NESTED_CONTAINER_SESSION), like `mesos task exec`, and exits with
// the remote command's status (128+signal when it was killed).
import { randomUUID } from 'node:crypto';
import { isOutputStream } from '../switchboard/client.js';
import { attachInput, WIRE_ENCODING, writeOutput, type InputSession } from './attach-io.js';
import { clientFrom, CONNECTION_HELP, CONNECTION_OPTIONS, parseArgs, reportFailure, resolveTask, UsageError } from './attach-target.js';
import { exitCodeOf, LocalTerminal } from './terminal.js';

export const USAGE = `usage: mesos-sidecar exec [-i] [-t] [connection options] TASK -- CMD [ARGS...]

Runs CMD in the environment, working directory and user of TASK (a task id or its
container id) and exits with CMD's exit status.

  -i, --interactive  send local stdin to CMD (EOF closes CMD's stdin)
  -t, --tty          run CMD under a terminal; with -i the local terminal goes raw,
                     follows window resizes, and Ctrl-P Ctrl-Q detaches
${CONNECTION_HELP}`;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { ...CONNECTION_OPTIONS, interactive: { type: 'boolean', short: 'i' }, tty: { type: 'boolean', short: 't' } } });
  } catch (err) {
    process.stderr.write(`mesos-sidecar exec: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [taskName, ...command] = positionals;
  if (!taskName || command.length === 0) {
    process.stderr.write(`mesos-sidecar exec: expected TASK -- CMD [ARGS...]\n${USAGE}\n`);
    return 2;
  }
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

async function exec(values: Parameters<typeof clientFrom>[0] & { interactive?: boolean; tty?: boolean }, taskName: string, command: string[], terminal: LocalTerminal): Promise<number> {
  const tty = values.tty === true;
  const interactive = values.interactive === true;
  if (tty && !terminal.isTerminal) throw new UsageError('-t needs a local terminal on stdin');
  const client = clientFrom(values);
  const task = await resolveTask(client, taskName);
  if (task.terminated) throw new Error(`task '${task.taskId}' is not running`);
  const containerId = { value: randomUUID(), parent: task.containerId };

  const output = await client.openOutput(
    {
      type: 'LAUNCH_NESTED_CONTAINER_SESSION',
      launch_nested_container_session: {
        container_id: containerId,
        command: { value: command[0]!, arguments: command, shell: false },
        ...(tty ? { container: { type: 'MESOS', tty_info: {} } } : {}),
      },
    },
    { encoding: WIRE_ENCODING },
  );
  if (!isOutputStream(output)) throw new Error(`could not start the command (${output.status}): ${output.body.toString().trim() || 'no details'}`);

  let input: InputSession | undefined;
  if (interactive) {
    if (tty) terminal.enterRawMode();
    input = await attachInput(client, containerId, terminal, { tty, stdin: process.stdin });
  }
  const finished = writeOutput(output.records, process.stdout, process.stderr).then(() => 'ended' as const);
  const outcome = await Promise.race([finished, input ? input.detached.then(() => 'detached' as const) : new Promise<never>(() => {})]);
  input?.stop();
  terminal.restore();
  if (outcome === 'detached') {
    process.stdout.write('\r\n');
    output.destroy();
    return 0;
  }
  return exitCodeOf(await client.wait(containerId, 'WAIT_CONTAINER'));
}
