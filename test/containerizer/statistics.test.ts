// ResourceStatistics from the cgroup files, and the containerizer's own limit fields.
import t from 'tap';
import { buildStatistics, readStatisticsFiles } from '../../containerizer/statistics.js';
import { openHierarchy } from '../../containerizer/hierarchy.js';
import { fakeCgroupFs } from './fake-cgroupfs.js';

const host = { cpus: 8, memoryBytes: 16 * 2 ** 30, clockTicks: 100 };

t.test('v1: cpuacct ticks → seconds, memory.stat totals, limits from the requests', async (t) => {
  const fake = fakeCgroupFs(t);
  const h = openHierarchy(fake.fs, fake.v1Layout(['freezer', 'cpu', 'cpuacct', 'memory']))!;
  h.create('r/T');
  const w = (c: string, f: string, v: string): void => fake.fs.write(`${fake.root}/${c}/r/T/${f}`, v);
  w('cpuacct', 'cpuacct.stat', 'user 250\nsystem 30\n');
  w('cpu', 'cpu.stat', 'nr_periods 10\nnr_throttled 4\nthrottled_time 2500000000\n');
  w('memory', 'memory.usage_in_bytes', '10485760\n');
  w('memory', 'memory.stat', 'cache 1\nrss 2\ntotal_cache 4096\ntotal_rss 8192\ntotal_mapped_file 512\ntotal_swap 0\ntotal_unevictable 0\n');
  fake.setProcs(`${fake.root}/freezer/r/T`, [1, 2]);
  fake.fs.write(`${fake.root}/freezer/r/T/tasks`, '1\n2\n3\n');
  const files = readStatisticsFiles(h, 'r/T');
  t.same(buildStatistics('v1', files, { cpus: 0.5, mem: 64, limits: { cpus: 1 } }, {}, host, 1_700_000_000_500), {
    timestamp: 1_700_000_000.5, processes: 2, threads: 3, cpus_user_time_secs: 2.5, cpus_system_time_secs: 0.3,
    cpus_nr_periods: 10, cpus_nr_throttled: 4, cpus_throttled_time_secs: 2.5,
    mem_total_bytes: 10485760, mem_file_bytes: 4096, mem_cache_bytes: 4096, mem_anon_bytes: 8192, mem_rss_bytes: 8192, mem_mapped_file_bytes: 512, mem_swap_bytes: 0, mem_unevictable_bytes: 0,
    cpus_soft_limit: 0.5, cpus_limit: 1, mem_soft_limit_bytes: 64 * 2 ** 20, mem_limit_bytes: 64 * 2 ** 20,
  });
  const noQuota = buildStatistics('v1', files, { cpus: 0.5, limits: {} }, {}, host, 0);
  t.equal(noQuota.cpus_nr_periods, undefined, 'no throttling figures without a quota');
  t.equal(noQuota.cpus_limit, undefined, 'no cpus_limit without limits.cpus or enableCfs');
  t.equal(buildStatistics('v1', files, { cpus: 0.5, limits: {} }, { enableCfs: true }, host, 0).cpus_limit, 0.5);
  t.equal(buildStatistics('v1', {}, { cpus: 1, mem: 64, limits: { cpus: Infinity, mem: Infinity } }, {}, host, 0).cpus_limit, 8, '∞ → host cpus');
  t.equal(buildStatistics('v1', {}, { mem: 64, limits: { mem: Infinity } }, {}, host, 0).mem_limit_bytes, 16 * 2 ** 30, '∞ → host memory');
});

t.test('v2: cpu.stat usec, memory.stat anon/file/kernel/sock', async (t) => {
  const s = buildStatistics('v2', {
    cpuUsage: 'usage_usec 3000000\nuser_usec 2000000\nsystem_usec 1000000\nnr_periods 5\nnr_throttled 1\nthrottled_usec 500000\n',
    memoryUsage: '2097152\n', memoryStat: 'anon 1048576\nfile 4096\nkernel 8192\nsock 16\nfile_mapped 128\nunevictable 0\n', processes: 1, threads: 4,
  }, { cpus: 1, limits: {} }, {}, host, 0);
  t.same(s, {
    timestamp: 0, processes: 1, threads: 4, cpus_user_time_secs: 2, cpus_system_time_secs: 1, cpus_nr_periods: 5, cpus_nr_throttled: 1, cpus_throttled_time_secs: 0.5,
    mem_total_bytes: 2097152, mem_kmem_usage_bytes: 8192, mem_kmem_tcp_usage_bytes: 16, mem_file_bytes: 4096, mem_cache_bytes: 4096, mem_anon_bytes: 1048576, mem_rss_bytes: 1048576,
    mem_mapped_file_bytes: 128, mem_unevictable_bytes: 0, cpus_soft_limit: 1,
  });
});
