// `mesos-sidecar ps [--json] [connection options]`: the tasks of an executor as its
// switchboard lists them (GET /tasks), as a table for people or JSON for scripts.
import { containerIdText } from '../switchboard/container-id.js';
import type { TaskEntry } from '../switchboard/task-listing.js';
import { clientFrom, CONNECTION_HELP, parseCommand, reportFailure, usageFailure } from './attach-target.js';

export const USAGE = `usage: mesos-sidecar ps [--json] [connection options]

Lists the tasks of the executor behind the switchboard: task id, state, health, last
check result, age, whether a terminal is attached, container id.

  --json             one JSON array of objects (keys: task_id, state, healthy,
                     last_check, age_seconds, tty, container_id)
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
}

export function psRows(tasks: readonly TaskEntry[]): PsRow[] {
  return tasks.map((t) => ({
    task_id: t.task_id,
    state: t.state ?? null,
    healthy: t.healthy ?? null,
    last_check: t.last_check ?? null,
    age_seconds: t.age_seconds ?? null,
    tty: t.tty,
    container_id: containerIdText(t.container_id),
  }));
}

/** `12s`, `5m`, `3h`, `2d`: the largest whole unit, as `docker ps` and `kubectl` print ages. */
export function formatAge(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

const COLUMNS: ReadonlyArray<[header: string, cell: (r: PsRow) => string]> = [
  ['TASK ID', (r) => r.task_id],
  ['STATE', (r) => r.state ?? '-'],
  ['HEALTHY', (r) => (r.healthy === null ? '-' : String(r.healthy))],
  ['LAST CHECK', (r) => r.last_check ?? '-'],
  ['AGE', (r) => formatAge(r.age_seconds)],
  ['TTY', (r) => (r.tty ? 'yes' : 'no')],
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
    const { tasks } = await clientFrom(values).tasks();
    const rows = psRows(tasks);
    process.stdout.write(values.json ? `${JSON.stringify(rows)}\n` : `${formatTable(rows)}\n`);
    return 0;
  } catch (err) {
    return reportFailure('ps', err);
  }
}
