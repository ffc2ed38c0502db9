// TaskInfo builders and emulator/executor setup shared by the executor tests.
import type { Test } from 'tap';
import { fileURLToPath } from 'node:url';
import { AgentEmulator, type EmulatorOptions, type ExecutorProcess } from '../../agent/emulator.js';
import { ManualClock, type Clock } from '../../common/clock.js';
import { msToDurationInfo } from '../../common/duration.js';
import { createLogger, type Logger } from '../../common/logger.js';
import { parseExecutorEnvironment } from '../../executor/env.js';
import { Executor, type ExecutorOptions } from '../../executor/executor.js';
import type { mesos } from '../../proto/codec.js';
import { until } from './wait.js';

export const ENCODINGS = ['json', 'protobuf'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** Absolute path of a fixture program (test/fixtures/ is copied next to the compiled tests). */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../../../test/fixtures/${name}`, import.meta.url));
}

let counter = 0;
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++counter}`;
}

export function shellTask(id: string, command: string, extra: Partial<mesos.TaskInfo> = {}): mesos.TaskInfo {
  return {
    name: id,
    task_id: { value: id },
    agent_id: { value: 'emulated-agent-S0' },
    command: { shell: true, value: command },
    ...extra,
  };
}

/** A scalar TaskInfo resource (`cpus`, `mem` in MB). */
export function scalarResource(name: string, value: number): mesos.Resource {
  return { name, type: 'SCALAR', scalar: { value } };
}

export function argvTask(id: string, argv: string[], extra: Partial<mesos.TaskInfo> = {}): mesos.TaskInfo {
  return {
    name: id,
    task_id: { value: id },
    agent_id: { value: 'emulated-agent-S0' },
    command: { shell: false, value: argv[0]!, arguments: argv },
    ...extra,
  };
}

export function killPolicy(ms: number): mesos.KillPolicy {
  return { grace_period: msToDurationInfo(ms) };
}

export const quietLogger = () => createLogger({ name: 'test-agent', level: process.env.MESOS_SIDECAR_TEST_LOG_LEVEL ?? 'silent' });

export interface Harness {
  agent: AgentEmulator;
  exec: ExecutorProcess;
}

/** An emulator and a subscribed executor speaking `encoding`, both gone at teardown. */
export async function startExecutor(
  t: Test,
  encoding: Encoding,
  options: EmulatorOptions = {},
  env: Record<string, string> = {},
): Promise<Harness> {
  const agent = await AgentEmulator.start({ logger: quietLogger(), subscriptionBackoffMax: '200ms', ...options });
  t.teardown(() => agent.close());
  const subscribed = agent.waitForSubscribed();
  const exec = agent.spawnExecutor({ encoding, env: { MESOS_SIDECAR_LOG_LEVEL: 'debug', ...env } });
  t.teardown(() => {
    if (t.passing()) return;
    t.comment(`executor stderr (last 60 lines):\n${exec.stderrLines.slice(-60).join('\n')}`);
  });
  await subscribed;
  return { agent, exec };
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The URL of the executor's metrics endpoint, from its `metrics endpoint listening` line:
 * run with MESOS_SIDECAR_METRICS_ADDRESS=127.0.0.1:0, the kernel's port is learnt here
 * (a port found free first and released could be taken before the executor binds it).
 */
export async function metricsUrlOf(exec: ExecutorProcess): Promise<string> {
  const listening = () => logLines(exec).find((l) => l.msg === 'metrics endpoint listening');
  await until(() => listening() !== undefined, 'the executor\'s "metrics endpoint listening" log line');
  return String(listening()!.url);
}

/** Parsed pino lines of the executor's stderr. */
export function logLines(exec: ExecutorProcess): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of exec.stderrLines) {
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  }
  return out;
}

/**
 * An in-process executor subscribed to a fresh emulator over the real wire, on a
 * ManualClock unless `executor.clock` says otherwise (the first connection attempt is
 * scheduled at +0, so a ManualClock is advanced by 0 once).
 */
export async function startInProcessExecutor<C extends Clock = ManualClock>(
  t: Test,
  encoding: Encoding,
  agentOptions: EmulatorOptions = {},
  executorOptions: Partial<Omit<ExecutorOptions, 'config' | 'clock'>> & { clock?: C; logger?: Logger } = {},
): Promise<{ agent: AgentEmulator; clock: C; executor: Executor; exited: Promise<number> }> {
  const agent = await AgentEmulator.start({ logger: quietLogger(), ...agentOptions });
  t.teardown(() => agent.close());
  const clock = (executorOptions.clock ?? new ManualClock(Date.now())) as C;
  const executor = new Executor({
    logger: createLogger({ name: 'executor', level: 'silent' }),
    ...executorOptions,
    config: parseExecutorEnvironment(agent.executorEnvironment({ MESOS_SIDECAR_ENCODING: encoding })),
    clock,
  });
  const subscribed = agent.waitForSubscribed();
  const exited = executor.run();
  if (clock instanceof ManualClock) clock.advance(0);
  await subscribed;
  return { agent, clock, executor, exited };
}

/** The MESOS_* variables an executor cannot start without (checkpointing on). */
export const REQUIRED_EXECUTOR_ENV = {
  MESOS_FRAMEWORK_ID: 'F',
  MESOS_EXECUTOR_ID: 'E',
  MESOS_AGENT_ENDPOINT: '127.0.0.1:5051',
  MESOS_SANDBOX: '/tmp/sb',
  MESOS_CHECKPOINT: '1',
} as const;
