// Runs a check's CommandInfo once (spec §4): `/bin/sh -c value` or exec `value` with its
// arguments, with the task's environment overlaid by the CommandInfo environment, the
// task's working directory and user, stdin from /dev/null, in a process group of its own.
// Abort (timeout, pause, stop) SIGKILLs the whole group. When the command itself exits,
// whatever it left behind in its group is killed too, so a probe never leaks processes.
// Output is kept only as a bounded tail, for logs and kill messages.
// Given the task's container, the command runs as a container nested in it instead (its
// pid namespace and cgroup tree, so its cost is charged to the task), as Mesos runs COMMAND
// checks; abort destroys that container, and its exit destroys whatever it left.
import { randomUUID } from 'node:crypto';
import { execa } from 'execa';
import type { Container, ContainerTermination } from '../containerizer/containerizer.js';
import type { TaskCheckContext } from '../contracts/checks.js';
import type { CommandSpec } from './definitions.js';
import { probeError, type ProbeOutcome } from './outcome.js';
import { signalGroup, signalName, signalNumber } from '../common/process.js';
import { userSpawnOptions } from '../process/user.js';

export const OUTPUT_TAIL_BYTES = 4096;

/** The task's environment, working directory, user and container (nested in it when given). */
export interface CommandProbeOptions extends Pick<TaskCheckContext, 'environment' | 'workingDirectory' | 'user' | 'container'> {
  signal: AbortSignal;
  /** Called with the pid once the command runs (its container's init when nested). */
  onSpawn?: (pid: number) => void;
}

/** Keeps the last `limit` bytes written to it. */
export class OutputTail {
  #buf = Buffer.alloc(0);
  constructor(readonly limit = OUTPUT_TAIL_BYTES) {}
  push(chunk: Buffer): void {
    const piece = chunk.length > this.limit ? chunk.subarray(chunk.length - this.limit) : chunk;
    const joined = Buffer.concat([this.#buf, piece]);
    this.#buf = joined.length > this.limit ? joined.subarray(joined.length - this.limit) : joined;
  }
  toString(): string {
    return this.#buf.toString('utf8');
  }
}

export async function probeCommand(spec: CommandSpec, options: CommandProbeOptions): Promise<ProbeOutcome> {
  const { signal } = options;
  if (signal.aborted) return probeError('ABORTED', 'probe aborted');
  let ids: { uid?: number; gid?: number };
  try {
    ids = userSpawnOptions(options.user);
  } catch (err) {
    return probeError('SPAWN', (err as Error).message);
  }
  const [file, args] = spec.shell ? ['/bin/sh', ['-c', spec.value]] : [spec.value, spec.argv.slice(1)];
  const env = { ...options.environment, ...spec.environment };
  if (options.container) return probeNested(spec, { file, args, env, ...ids }, options, options.container);
  const tail = new OutputTail();
  const sub = execa(file, args, {
    env,
    extendEnv: false,
    cwd: options.workingDirectory,
    ...(ids.uid !== undefined ? { uid: ids.uid, gid: ids.gid } : {}),
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    detached: true,
    cleanup: false,
    forceKillAfterDelay: false,
  });
  const pid = sub.pid;
  const killGroup = () => {
    if (pid !== undefined) signalGroup(pid, 'SIGKILL');
  };
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    killGroup();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  sub.stdout?.on('data', (c: Buffer) => tail.push(c));
  sub.stderr?.on('data', (c: Buffer) => tail.push(c));
  // A background grandchild would keep the pipes (and so execa's promise) open forever.
  sub.once('exit', killGroup);
  if (pid !== undefined) options.onSpawn?.(pid);
  try {
    const result = await sub;
    const output = tail.toString();
    if (aborted) return probeError('ABORTED', 'probe aborted', output);
    if (result.exitCode !== undefined && result.signal === undefined) {
      return { kind: 'result', result: { type: 'COMMAND', exitCode: result.exitCode, outputTail: output } };
    }
    if (result.signal !== undefined) {
      const n = signalNumber(result.signal) ?? 0;
      return probeError('SIGNAL', `command terminated by ${result.signal} (exit code ${128 + n})`, output);
    }
    const cause = (result as { cause?: NodeJS.ErrnoException }).cause;
    return probeError('SPAWN', `failed to run ${JSON.stringify(spec.shell ? spec.value : file)}: ${cause?.code ?? ''} ${cause?.message ?? result.shortMessage}`.trim(), output);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

interface NestedCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
  uid?: number;
  gid?: number;
}

async function probeNested(spec: CommandSpec, command: NestedCommand, options: CommandProbeOptions, container: NonNullable<CommandProbeOptions['container']>): Promise<ProbeOutcome> {
  const { signal } = options;
  let nested: Container;
  try {
    nested = await container.containerizer.launch({
      id: randomUUID(),
      parent: container.parent,
      file: command.file,
      args: command.args,
      env: command.env,
      cwd: options.workingDirectory,
      uid: command.uid,
      gid: command.gid,
      io: { type: 'pipe' },
    });
  } catch (err) {
    return probeError('SPAWN', `failed to launch the check's container in the task's: ${(err as Error).message}`);
  }
  const tail = new OutputTail();
  nested.child?.stdout?.on('data', (c: Buffer) => tail.push(c));
  nested.child?.stderr?.on('data', (c: Buffer) => tail.push(c));
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    void nested.destroy();
  };
  // The launch took a moment: a timeout or stop may have come meanwhile.
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  options.onSpawn?.(nested.pid);
  try {
    const end = await nested.wait();
    const output = tail.toString();
    if (aborted) return probeError('ABORTED', 'probe aborted', output);
    return nestedOutcome(spec, command.file, end, output);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function nestedOutcome(spec: CommandSpec, file: string, end: ContainerTermination, output: string): ProbeOutcome {
  if (end.launchFailure !== undefined) return probeError('SPAWN', `failed to run ${JSON.stringify(spec.shell ? spec.value : file)}: ${end.launchFailure}`, output);
  if (end.signal !== null) return probeError('SIGNAL', `command terminated by ${signalName(end.signal)} (exit code ${128 + end.signal})`, output);
  if (end.exitCode === null) return probeError('SPAWN', "the check's container ended without an exit status", output);
  return { kind: 'result', result: { type: 'COMMAND', exitCode: end.exitCode, outputTail: output } };
}
