// `mesos-sidecar ps [--json] [connection options]`: the tasks of an executor as its
// switchboard lists them (GET /tasks) with what their containers use (GET_CONTAINERS), as
// a table for people or JSON for scripts.
import type { agent } from '../proto/codec.js';
import { containerIdText } from '../switchboard/container-id.js';
import { formatAge, formatBytes } from '../common/units.js';
import { UnexpectedAnswerError } from '../common/errors.js';
import type { TaskEntry } from '../switchboard/task-listing.js';
import { clientFrom, CONNECTION_HELP, parseCommand, reportFailure, usageFailure } from './attach-target.js';

export const USAGE = `usage: mesos-sidecar ps [--json] [connection options]

Lists the tasks of the executor behind the switchboard: task id, state, health, last
check result, age, whether a terminal is attached, CPU seconds (user + system), memory
(rss / limit), processes, the isolation of its container, container id.

  --json             one JSON array of objects (keys: task_id, state, healthy,
                     last_check, age_seconds, tty, container_id, cpu_seconds,
                     mem_rss_bytes, mem_limit_bytes, processes, isolation)
${CONNECTION_HELP}`;

/** One row of `ps --json`; the keys are a stable interface for scripts. */
export interface PsRow {
  task_id: string;
  state: string | null;
  healthy: boolean | null;
  last_check: string | null;
  age_seconds: number | null;
  tty: boolean;
  container_id: string;
  /** User + system CPU time of the container; null without statistics. */
  cpu_seconds: number | null;
  mem_rss_bytes: number | null;
  mem_limit_bytes: number | null;
  processes: number | null;
  isolation: string | null;
}

type ContainerEntry = agent.Response.GetContainers.Container;

const numberOr = (v: number | bigint | undefined): number | null => (v === undefined ? null : Number(v));

/** Tasks joined with their GET_CONTAINERS entries by container id. */
export function psRows(tasks: readonly TaskEntry[], containers: readonly ContainerEntry[] = []): PsRow[] {
  const byId = new Map(containers.map((c) => [c.container_id.value, c.resource_statistics]));
  return tasks.map((t) => {
    const s = byId.get(t.container_id.value);
    const cpu = s?.cpus_user_time_secs === undefined && s?.cpus_system_time_secs === undefined ? null : (s.cpus_user_time_secs ?? 0) + (s.cpus_system_time_secs ?? 0);
    return {
      task_id: t.task_id,
      state: t.state ?? null,
      healthy: t.healthy ?? null,
      last_check: t.last_check ?? null,
      age_seconds: t.age_seconds ?? null,
      tty: t.tty,
      container_id: containerIdText(t.container_id),
      cpu_seconds: cpu,
      mem_rss_bytes: numberOr(s?.mem_rss_bytes),
      mem_limit_bytes: numberOr(s?.mem_limit_bytes),
      processes: numberOr(s?.processes),
      isolation: t.isolation ?? null,
    };
  });
}

function formatMemory(r: PsRow): string {
  if (r.mem_rss_bytes === null && r.mem_limit_bytes === null) return '-';
  return `${formatBytes(r.mem_rss_bytes)} / ${formatBytes(r.mem_limit_bytes)}`;
}

const COLUMNS: ReadonlyArray<[header: string, cell: (r: PsRow) => string]> = [
  ['TASK ID', (r) => r.task_id],
  ['STATE', (r) => r.state ?? '-'],
  ['HEALTHY', (r) => (r.healthy === null ? '-' : String(r.healthy))],
  ['LAST CHECK', (r) => r.last_check ?? '-'],
  ['AGE', (r) => formatAge(r.age_seconds)],
  ['TTY', (r) => (r.tty ? 'yes' : 'no')],
  ['CPU', (r) => (r.cpu_seconds === null ? '-' : `${r.cpu_seconds.toFixed(2)}s`)],
  ['MEM (RSS / LIMIT)', formatMemory],
  ['PROCS', (r) => (r.processes === null ? '-' : String(r.processes))],
  ['ISOLATION', (r) => r.isolation ?? '-'],
  ['CONTAINER ID', (r) => r.container_id],
];

/** Aligned columns, two spaces apart, no trailing blanks. */
export function formatTable(rows: readonly PsRow[]): string {
  const cells = [COLUMNS.map(([h]) => h), ...rows.map((r) => COLUMNS.map(([, cell]) => cell(r).replace(/[\r\n\t]/g, ' ')))];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return cells.map((line) => line.map((c, i) => (i === line.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand('ps', USAGE, argv, { json: { type: 'boolean' } });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length > 0) return usageFailure('ps', USAGE, `Unexpected argument '${positionals[0]}'. This command does not take positional arguments`);
  try {
    const client = clientFrom(values);
    // Statistics are extra: a switchboard that refuses GET_CONTAINERS (an older one answers
    // 501) still gets its task list, with '-' where the figures would be.
    const statistics = client.containers().catch((err: unknown) => {
      if (err instanceof UnexpectedAnswerError) return [];
      throw err;
    });
    const [{ tasks }, containers] = await Promise.all([client.tasks(), statistics]);
    const rows = psRows(tasks, containers);
    process.stdout.write(values.json ? `${JSON.stringify(rows)}\n` : `${formatTable(rows)}\n`);
    return 0;
  } catch (err) {
    return reportFailure('ps', err);
  }
}
