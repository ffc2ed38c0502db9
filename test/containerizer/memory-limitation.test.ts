// OOM counters → ContainerLimitation with Mesos' message (spec containers.md §3).
import t from 'tap';
import { formatBytes, memoryLimitation, oomHappened } from '../../containerizer/memory-limitation.js';

t.test('stout Bytes: the largest unit without loss, no space', async (t) => {
  const rows: Array<[bigint | number, string]> = [[0, '0B'], [1536, '1536B'], [512 * 1024, '512KB'], [64 * 2 ** 20, '64MB'], [2 * 2 ** 30, '2GB'], [2 ** 40, '1TB'], [2 ** 20 + 1024, '1025KB'], [9223372036854771712n, '9007199254740988KB']];
  for (const [bytes, want] of rows) t.equal(formatBytes(bytes), want, String(bytes));
});

t.test('OOM detection: v1 oom_kill or under_oom in memory.oom_control; v2 oom_kill in memory.events', async (t) => {
  const rows: Array<['v1' | 'v2', string | undefined, boolean]> = [
    ['v1', 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n', false],
    ['v1', 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n', true],
    ['v1', 'oom_kill_disable 0\nunder_oom 1\n', true],
    ['v1', undefined, false],
    ['v2', 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n', false],
    ['v2', 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n', true],
  ];
  for (const [v, text, want] of rows) t.equal(oomHappened(v, text), want, `${v} ${JSON.stringify(text)}`);
});

t.test('v1 limitation: mem = peak in MB, message with limit, peak and memory.stat', async (t) => {
  const stat = 'cache 0\nrss 67108864\ntotal_rss 67108864\n';
  const l = memoryLimitation('v1', { events: 'oom_kill 1\n', limit: '67108864\n', maxUsage: '67112960\n', memoryStat: stat });
  t.same(l, {
    resources: [{ name: 'mem', type: 'SCALAR', scalar: { value: 67112960 / 2 ** 20 }, role: '*' }],
    message: `Memory limit exceeded: Requested: 64MB Maximum Used: 65540KB\n\nMEMORY STATISTICS: \n${stat}\n`,
    reason: 'REASON_CONTAINER_LIMITATION_MEMORY',
  });
  t.equal(memoryLimitation('v1', { events: 'oom_kill 0\n', limit: '67108864', maxUsage: '1' }), undefined, 'no OOM, no limitation');
  t.same(memoryLimitation('v1', { events: 'oom_kill 2\n' }), { resources: [{ name: 'mem', type: 'SCALAR', scalar: { value: 0 }, role: '*' }], message: 'Memory limit exceeded: ', reason: 'REASON_CONTAINER_LIMITATION_MEMORY' }, 'unreadable parts are left out; mem 0');
});

t.test('v2 limitation: mem = memory.max in MB, post-OOM anon/file/kernel', async (t) => {
  const l = memoryLimitation('v2', { events: 'oom 1\noom_kill 1\n', limit: '134217728\n', memoryStat: 'anon 1048576\nfile 4096\nkernel 8192\nsock 0\n' });
  t.equal(l?.resources[0]?.scalar.value, 128);
  t.equal(l?.message, 'Memory limit exceeded: \nMEMORY STATISTICS post-OOM: \nanon: 1MB\nfile: 4KB\nkernel: 8KB\n');
  t.equal(memoryLimitation('v2', { events: 'oom_kill 1\n', limit: 'max\n' })?.resources[0]?.scalar.value, 0, "'max' counts as 0");
});
