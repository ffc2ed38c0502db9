// Exec session start: LAUNCH_NESTED_CONTAINER_SESSION → the first output byte, for a task
// without a container (the session runs without isolation) and for a task in its own
// container (the session joins its namespaces and nests its cgroup), each against the
// same command spawned directly in this process, interleaved so that load from elsewhere
// hits all three alike.
import { spawn } from 'node:child_process';
import type { agent, mesos } from '../../proto/codec.js';
import type { SwitchboardClient } from '../../switchboard/client.js';
import { openSession } from './agent-session.js';
import { summarize, type LatencySummary } from '../stats.js';

export const SESSION_STARTS = 200;
const COMMAND = 'echo x';

/** The bench server's task containers (server.ts): one plain, one isolated when it could. */
export const PLAIN_TASK: mesos.ContainerID = { value: 'bench-task', parent: { value: 'bench-executor' } };
export const ISOLATED_TASK: mesos.ContainerID = { value: 'bench-task-isolated', parent: { value: 'bench-executor' } };

async function directFirstByte(): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn('/bin/sh', ['-c', COMMAND], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('error', reject);
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await new Promise((r) => child.once('close', r));
  return ms;
}

let counter = 0;
async function sessionFirstByte(client: SwitchboardClient, task: mesos.ContainerID): Promise<number> {
  const id = { value: `bench-start-${process.pid}-${++counter}`, parent: task };
  const call: agent.Call = { type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: id, command: { value: COMMAND } } };
  const started = process.hrtime.bigint();
  const s = await openSession(client, call);
  let ms: number | undefined;
  for await (const io of s.records) if (io.type === 'DATA' && ms === undefined) ms = Number(process.hrtime.bigint() - started) / 1e6;
  const status = await client.wait(id, 'WAIT_CONTAINER', 'application/x-protobuf');
  if (ms === undefined || status !== 0) throw new Error(`session in ${task.value} printed nothing or ended with status ${status}`);
  return ms;
}

export interface SessionStartResult {
  sessions: number;
  command: string;
  directSpawn: LatencySummary;
  withoutIsolation: LatencySummary & { ratioP50ToDirect: number };
  /** Absent when the bench server could not isolate (not root, no namespaces or cgroups). */
  joiningNamespaces?: LatencySummary & { isolation: string; ratioP50ToDirect: number; ratioP50ToWithoutIsolation: number };
  unavailable?: string;
}

export async function sessionStart(client: SwitchboardClient, isolated: { isolation: string } | { unavailable: string }, count = SESSION_STARTS): Promise<SessionStartResult> {
  const direct: number[] = [];
  const plain: number[] = [];
  const joined: number[] = [];
  // A few unmeasured rounds first: the first spawns pay for loading node-pty, perl, caches.
  for (let i = -3; i < count; i++) {
    const d = await directFirstByte();
    const p = await sessionFirstByte(client, PLAIN_TASK);
    const j = 'isolation' in isolated ? await sessionFirstByte(client, ISOLATED_TASK) : undefined;
    if (i < 0) continue;
    direct.push(d);
    plain.push(p);
    if (j !== undefined) joined.push(j);
  }
  const ratio = (a: LatencySummary, b: LatencySummary) => Math.round((a.p50Ms / b.p50Ms) * 100) / 100;
  const directSpawn = summarize(direct);
  const withoutIsolation = summarize(plain);
  const result: SessionStartResult = { sessions: count, command: COMMAND, directSpawn, withoutIsolation: { ...withoutIsolation, ratioP50ToDirect: ratio(withoutIsolation, directSpawn) } };
  if ('isolation' in isolated) {
    const j = summarize(joined);
    result.joiningNamespaces = { ...j, isolation: isolated.isolation, ratioP50ToDirect: ratio(j, directSpawn), ratioP50ToWithoutIsolation: ratio(j, withoutIsolation) };
  } else result.unavailable = isolated.unavailable;
  return result;
}
