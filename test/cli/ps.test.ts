// `ps` formatting as tables: ages, aligned columns, stable --json rows.
import t from 'tap';
import { formatAge, formatTable, psRows } from '../../cli/ps.js';
import type { TaskEntry } from '../../switchboard/task-listing.js';

t.test('formatAge: the largest whole unit', async (t) => {
  const cases: Array<[number | null, string]> = [
    [null, '-'],
    [0, '0s'],
    [59, '59s'],
    [60, '1m'],
    [3599, '59m'],
    [3600, '1h'],
    [86_399, '23h'],
    [86_400, '1d'],
    [10 * 86_400 + 5, '10d'],
  ];
  for (const [seconds, text] of cases) t.equal(formatAge(seconds), text, String(seconds));
});

t.test('psRows and formatTable', async (t) => {
  const tasks: TaskEntry[] = [
    { task_id: 'web', container_id: { value: 'c1', parent: { value: 'e' } }, tty: false, terminated: false, state: 'TASK_RUNNING', healthy: true, last_check: 'exit 0', age_seconds: 12, sandbox_path: '/x' },
    { task_id: 'shell-long-name', container_id: { value: 'c2', parent: { value: 'e' } }, tty: true, terminated: false, state: 'TASK_STARTING', healthy: null, last_check: null, age_seconds: 300, sandbox_path: null },
  ];
  const rows = psRows(tasks);
  t.same(rows[0], { task_id: 'web', state: 'TASK_RUNNING', healthy: true, last_check: 'exit 0', age_seconds: 12, tty: false, container_id: 'e.c1' }, 'snake_case keys, container id as text');
  t.same(Object.keys(rows[1]!), ['task_id', 'state', 'healthy', 'last_check', 'age_seconds', 'tty', 'container_id'], 'stable key order');
  const older = psRows([{ task_id: 'old', container_id: { value: 'c3' }, tty: false, terminated: true } as TaskEntry]);
  t.match(older[0], { state: null, healthy: null, last_check: null, age_seconds: null }, 'an older switchboard without the ps fields');
  t.equal(
    formatTable(rows),
    [
      'TASK ID          STATE          HEALTHY  LAST CHECK  AGE  TTY  CONTAINER ID',
      'web              TASK_RUNNING   true     exit 0      12s  no   e.c1',
      'shell-long-name  TASK_STARTING  -        -           5m   yes  e.c2',
    ].join('\n'),
  );
  t.equal(formatTable(psRows([{ ...tasks[0]!, last_check: 'two\nlines' }])).split('\n').length, 2, 'a newline in a cell cannot break the table');
});
