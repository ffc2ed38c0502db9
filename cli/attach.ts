// `mesos-sidecar attach [--no-stdin] TASK`: the terminal of a task launched with a TTY,
// like `mesos task attach`; exits with the task's status when it ends, 0 on detach.
import { isOutputStream } from '../switchboard/client.js';
import { attachInput, WIRE_ENCODING, writeOutput, type InputSession } from './attach-io.js';
import { clientFrom, CONNECTION_HELP, CONNECTION_OPTIONS, parseArgs, reportFailure, resolveTask, UsageError } from './attach-target.js';
import { exitCodeOf, LocalTerminal } from './terminal.js';

export const USAGE = `usage: mesos-sidecar attach [--no-stdin] [connection options] TASK

Shows the live output of TASK (launched with a TTY) and, unless --no-stdin, types into it.
Ctrl-P Ctrl-Q detaches and leaves the task running.

  --no-stdin         only watch the output
${CONNECTION_HELP}`;

const NO_TTY = 'I/O switchboard server was disabled for this container';

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { ...CONNECTION_OPTIONS, 'no-stdin': { type: 'boolean' } } });
  } catch (err) {
    process.stderr.write(`mesos-sidecar attach: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`mesos-sidecar attach: expected exactly one TASK\n${USAGE}\n`);
    return 2;
  }
  const terminal = new LocalTerminal();
  try {
    const client = clientFrom(values);
    const task = await resolveTask(client, positionals[0]!);
    const output = await client.openOutput({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: task.containerId } }, { encoding: WIRE_ENCODING });
    if (!isOutputStream(output)) {
      const body = output.body.toString();
      if (output.status === 500 && body === NO_TTY) throw new Error('Unable to attach to a task launched without a TTY');
      throw new Error(`could not attach (${output.status}): ${body.trim() || 'no details'}`);
    }
    let input: InputSession | undefined;
    if (!values['no-stdin']) {
      if (!terminal.isTerminal) throw new UsageError('attach needs a local terminal on stdin (or --no-stdin)');
      terminal.enterRawMode();
      input = await attachInput(client, task.containerId, terminal, { tty: true, stdin: process.stdin });
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
    return task.containerId.parent ? exitCodeOf(await client.wait(task.containerId, 'WAIT_CONTAINER')) : 0;
  } catch (err) {
    terminal.restore();
    return reportFailure('attach', err);
  } finally {
    terminal.restore();
  }
}
