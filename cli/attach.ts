// `mesos-sidecar attach [--no-stdin] TASK`: the terminal of a task launched with a TTY,
// like `mesos task attach`; exits with the task's status when it ends (and says so), 0 on
// detach.
import { isOutputStream } from '../switchboard/client.js';
import { attachInput, WIRE_ENCODING, writeOutput, type InputSession } from './attach-io.js';
import { clientFrom, CONNECTION_HELP, parseCommand, reportFailure, usageFailure, resolveTask, UsageError } from './attach-target.js';
import { describeWaitStatus, exitCodeOf, LocalTerminal } from './terminal.js';
import { SWITCHBOARD_HEADERS } from '../contracts/switchboard.js';
import { baselineCodeOnly } from '../executor/v8-tuning.js';

export const USAGE = `usage: mesos-sidecar attach [--no-stdin] [--tail N] [connection options] TASK

Shows the live output of TASK (launched with a TTY) and, unless --no-stdin, types into it.
Ctrl-P Ctrl-Q detaches and leaves the task running. When the task ends, attach says so and
exits with its status (the exit code, or 128 + signal).

  --no-stdin         only watch the output
  --tail N           first show the last N bytes TASK printed before attaching (as
                     much as the switchboard keeps, 64 KiB by default)
${CONNECTION_HELP}`;

const NO_TTY = 'I/O switchboard server was disabled for this container';
// How long the task's exit status may take to arrive once its output has ended or been cut.
const EXIT_STATUS_WAIT_MS = 5000;

type WaitOutcome = { status: number | undefined } | { error: unknown } | { timedOut: true };

function waitBounded(wait: Promise<WaitOutcome>, ms: number): Promise<WaitOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<WaitOutcome>((resolve) => (timer = setTimeout(() => resolve({ timedOut: true }), ms)));
  return Promise.race([wait, late]).finally(() => clearTimeout(timer));
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand('attach', USAGE, argv, { 'no-stdin': { type: 'boolean' }, tail: { type: 'string' } });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) return usageFailure('attach', USAGE, 'expected exactly one TASK');
  if (values.tail !== undefined && !/^\d+$/.test(values.tail)) return usageFailure('attach', USAGE, `--tail expects a number of bytes, got '${values.tail}'`);
  const headers: Record<string, string> = values.tail !== undefined ? { [SWITCHBOARD_HEADERS.outputTail]: values.tail } : {};
  const terminal = new LocalTerminal();
  baselineCodeOnly();
  try {
    const client = clientFrom(values);
    const task = await resolveTask(client, positionals[0]!);
    const output = await client.openOutput({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: task.containerId } }, { encoding: WIRE_ENCODING, headers });
    if (!isOutputStream(output)) {
      const body = output.body.toString();
      if (output.status === 500 && body === NO_TTY) throw new Error('Unable to attach to a task launched without a TTY');
      throw new Error(`could not attach (${output.status}): ${body.trim() || 'no details'}`);
    }
    // A task's container has a parent (default-executor style); the Mesos CLI waits only
    // then. Asked for now, not after the output: when the task ends its executor may exit
    // at once, resetting this stream and refusing later connections, but this long poll
    // is answered first, so a reset still tells us how the task ended.
    const taskEnded: Promise<WaitOutcome> | undefined = task.containerId.parent
      ? client.wait(task.containerId, 'WAIT_CONTAINER').then((status) => ({ status }), (error: unknown) => ({ error }))
      : undefined;
    let input: InputSession | undefined;
    if (!values['no-stdin']) {
      if (!terminal.isTerminal) throw new UsageError('attach needs a local terminal on stdin (or --no-stdin)');
      terminal.enterRawMode();
      input = await attachInput(client, task.containerId, terminal, { tty: true, stdin: process.stdin });
    }
    const finished = writeOutput(output.leasedRecords, process.stdout, process.stderr).then(
      () => ({ kind: 'ended' as const }),
      (error: unknown) => ({ kind: 'cut' as const, error }),
    );
    const outcome = await Promise.race([finished, input ? input.detached.then(() => ({ kind: 'detached' as const })) : new Promise<never>(() => {})]);
    input?.stop();
    terminal.restore();
    if (outcome.kind === 'detached') {
      process.stdout.write('\r\n');
      output.destroy();
      return 0;
    }
    if (!taskEnded) {
      if (outcome.kind === 'cut') throw outcome.error;
      return 0;
    }
    const ended = await waitBounded(taskEnded, EXIT_STATUS_WAIT_MS);
    if ('status' in ended) {
      process.stderr.write(`mesos-sidecar attach: task ${task.taskId} ended: ${describeWaitStatus(ended.status)}\n`);
      return exitCodeOf(ended.status);
    }
    // Not the task ending: the connection broke (or the switchboard would not say).
    if (outcome.kind === 'cut') throw outcome.error;
    if ('error' in ended) throw ended.error;
    throw new Error(`the output of task ${task.taskId} ended but its exit status did not arrive within ${EXIT_STATUS_WAIT_MS / 1000} s`);
  } catch (err) {
    terminal.restore();
    return reportFailure('attach', err);
  } finally {
    terminal.restore();
  }
}
