// Runs a check's CommandInfo once (spec §4): `/bin/sh -c value` or exec `value` with its
// arguments, with the task's environment overlaid by the CommandInfo environment, the
// task's working directory and user, stdin from /dev/null, in a process group of its own.
// Abort (timeout, pause, stop) SIGKILLs the whole group. When the command itself exits,
// whatever it left behind in its group is killed too, so a probe never leaks processes.
// Output is kept only as a bounded tail, for logs and kill messages.
import { execa } from 'execa';
import type { CommandSpec } from './definitions.js';
import { probeError, type ProbeOutcome } from './outcome.js';
import { signalGroup, signalNumber } from '../common/process.js';
import { userSpawnOptions } from '../process/user.js';

export const OUTPUT_TAIL_BYTES = 4096;

export interface CommandProbeOptions {
  signal: AbortSignal;
  environment: Record<string, string>;
  workingDirectory: string;
  user?: string;
  /** Called with the pid once the command runs (tests assert on process groups). */
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
  const tail = new OutputTail();
  const sub = execa(file, args, {
    env: { ...options.environment, ...spec.environment },
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
