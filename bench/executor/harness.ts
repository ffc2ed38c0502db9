// What the executor benchmarks share: the commands, a TaskInfo, an emulator with one
// subscribed executor (torn down whatever happens), the executor's RSS, and the direct
// spawn the launches are compared with.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { AgentEmulator, type ExecutorProcess, type ReceivedUpdate } from '../../agent/emulator.js';
import type { Logger } from '../../common/logger.js';
import { signalGroup } from '../../common/process.js';
import type { mesos } from '../../proto/codec.js';

export const AGENT_ID = 'bench-agent';
export const TRUE = { argv: ['/bin/true'], command: { shell: false, value: '/bin/true', arguments: ['true'] } };
export const SLEEP = { shell: false, value: '/bin/sleep', arguments: ['sleep', '600'] };

export function task(id: string, command: mesos.CommandInfo): mesos.TaskInfo {
  return { name: 'bench', task_id: { value: id }, agent_id: { value: AGENT_ID }, command };
}

/** VmRSS of a live process in MiB. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Math.round((Number(m[1]) / 1024) * 10) / 10;
}

/** Resolves with performance.now() of the first update matching `pred`. */
export function nextUpdateAt(emulator: AgentEmulator, pred: (s: mesos.TaskStatus) => boolean): Promise<number> {
  return new Promise((resolve) => {
    const onUpdate = (u: ReceivedUpdate): void => {
      if (u.duplicate || !pred(u.status)) return;
      const at = performance.now();
      emulator.off('update', onUpdate);
      resolve(at);
    };
    emulator.on('update', onUpdate);
  });
}

/** One emulator plus one subscribed executor (`env` added to its environment), torn down whatever happens. */
/**
 * The executor's own rows (launch, cold start, RSS) run without isolation, as before
 * containers, so that they stay comparable from run to run; isolation.ts measures what
 * namespaces and cgroups add, against them, in the same run.
 */
export const OWN_ROWS_ENV: Record<string, string> = { MESOS_SIDECAR_ISOLATION: 'none' };

export async function withExecutor<T>(options: { encoding?: 'json' | 'protobuf' | undefined }, logger: Logger, body: (emulator: AgentEmulator, exec: ExecutorProcess) => Promise<T>, env: Record<string, string> = OWN_ROWS_ENV): Promise<T> {
  const emulator = await AgentEmulator.start({ logger, agentId: AGENT_ID, autoAcknowledge: true });
  let exec: ExecutorProcess | undefined;
  try {
    exec = emulator.spawnExecutor({ encoding: options.encoding ?? 'protobuf', env: { MESOS_SIDECAR_LOG_LEVEL: 'error', ...env }, stdio: 'pipe' });
    await emulator.waitForSubscribed();
    return await body(emulator, exec);
  } finally {
    if (exec) await stopExecutor(emulator, exec);
    await emulator.close();
  }
}

// SHUTDOWN lets the executor kill its tasks and leave; SIGKILL to its group only if it
// does not, so that a failed run leaves nothing behind either.
export async function stopExecutor(emulator: AgentEmulator, exec: ExecutorProcess): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const exited = await Promise.race([
    exec.exited.then(() => true),
    (async () => {
      emulator.shutdown();
      return new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 10_000)));
    })(),
  ]);
  clearTimeout(timer);
  if (!exited) {
    signalGroup(exec.pid, 'SIGKILL');
    await exec.exited;
  }
}

export async function directSpawnMs(argv: string[]): Promise<number> {
  const t0 = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', detached: true });
  const exit = once(child, 'exit');
  await once(child, 'spawn');
  const t1 = performance.now();
  await exit;
  return t1 - t0;
}
