// `ps` formatting as tables: ages, sizes, aligned columns, stable --json rows joined from
// GET /tasks and GET_CONTAINERS.
import t from 'tap';
import { formatTable, psRows } from '../../cli/ps.js';
import { formatAge, formatBytes } from '../../common/units.js';
import type { agent } from '../../proto/codec.js';
import type { TaskEntry } from '../../switchboard/task-listing.js';

t.test('formatAge and formatBytes: the largest whole unit; bytes in binary units, one decimal below 10', async (t) => {
  const cases: Array<[typeof formatAge | typeof formatBytes, number | null, string]> = [
    [formatAge, null, '-'], [formatAge, 0, '0s'], [formatAge, 59, '59s'], [formatAge, 60, '1m'], [formatAge, 3599, '59m'],
    [formatAge, 3600, '1h'], [formatAge, 86_399, '23h'], [formatAge, 86_400, '1d'], [formatAge, 10 * 86_400 + 5, '10d'],
    [formatBytes, null, '-'], [formatBytes, 0, '0B'], [formatBytes, 1023, '1023B'], [formatBytes, 1536, '1.5K'],
    [formatBytes, 41 * 2 ** 20 + 300 * 1024, '41M'], [formatBytes, 128 * 2 ** 20, '128M'], [formatBytes, 2 * 2 ** 30, '2.0G'],
  ];
  for (const [format, value, text] of cases) t.equal(format(value), text, `${format.name}(${value})`);
});

const MiB = 2 ** 20;
const tasks: TaskEntry[] = [
  { task_id: 'web', container_id: { value: 'c1', parent: { value: 'e' } }, tty: false, terminated: false, state: 'TASK_RUNNING', healthy: true, last_check: 'exit 0', age_seconds: 12, sandbox_path: '/x', isolation: 'namespaces,cgroups', check_history: [], reason: null, message: null },
  { task_id: 'shell-long-name', container_id: { value: 'c2', parent: { value: 'e' } }, tty: true, terminated: false, state: 'TASK_STARTING', healthy: null, last_check: null, age_seconds: 300, sandbox_path: null, isolation: 'none', check_history: [], reason: null, message: null },
];
const containers: agent.Response.GetContainers.Container[] = [
  { container_id: { value: 'c1' }, resource_statistics: { timestamp: 1, cpus_user_time_secs: 1.25, cpus_system_time_secs: 0.5, mem_rss_bytes: BigInt(41 * MiB), mem_limit_bytes: BigInt(128 * MiB), processes: 3 } },
  // input: an entry for a container no task has (a session) → ignored
  { container_id: { value: 'session-1' }, resource_statistics: { timestamp: 1, processes: 9 } },
];

t.test('psRows joins GET /tasks and GET_CONTAINERS by container id; formatTable aligns the columns', async (t) => {
  const rows = psRows(tasks, containers);
  t.same(rows[0], {
    task_id: 'web', state: 'TASK_RUNNING', healthy: true, last_check: 'exit 0', age_seconds: 12, tty: false, container_id: 'e.c1',
    cpu_seconds: 1.75, mem_rss_bytes: 41 * MiB, mem_limit_bytes: 128 * MiB, processes: 3, isolation: 'namespaces,cgroups',
  }, 'snake_case keys, container id as text, CPU = user + system, bytes as numbers');
  t.same(Object.keys(rows[1]!), ['task_id', 'state', 'healthy', 'last_check', 'age_seconds', 'tty', 'container_id', 'cpu_seconds', 'mem_rss_bytes', 'mem_limit_bytes', 'processes', 'isolation'], 'stable key order');
  t.match(rows[1], { cpu_seconds: null, mem_rss_bytes: null, mem_limit_bytes: null, processes: null }, 'no statistics for the task: nulls');
  const older = psRows([{ task_id: 'old', container_id: { value: 'c3' }, tty: false, terminated: true } as TaskEntry]);
  t.match(older[0], { state: null, healthy: null, last_check: null, age_seconds: null, isolation: null, cpu_seconds: null }, 'an older switchboard without the ps fields or GET_CONTAINERS');
  t.equal(
    formatTable(rows),
    [
      'TASK ID          STATE          HEALTHY  LAST CHECK  AGE  TTY  CPU    MEM (RSS / LIMIT)  PROCS  ISOLATION           CONTAINER ID',
      'web              TASK_RUNNING   true     exit 0      12s  no   1.75s  41M / 128M         3      namespaces,cgroups  e.c1',
      'shell-long-name  TASK_STARTING  -        -           5m   yes  -      -                  -      none                e.c2',
    ].join('\n'),
  );
  t.equal(formatTable(psRows([{ ...tasks[0]!, last_check: 'two\nlines' }])).split('\n').length, 2, 'a newline in a cell cannot break the table');
});
