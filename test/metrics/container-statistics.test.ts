// Container statistics as Prometheus series (metrics/container-statistics.ts): a table of
// what a ResourceStatistics becomes, then real containers (cgroups under a test root) whose
// busy loop and allocation show on a real endpoint and whose series vanish with them.
import t from 'tap';
import { existsSync } from 'node:fs';
import { request } from 'undici';
import { Registry } from 'prom-client';
import type { Container } from '../../containerizer/containerizer.js';
import type { ResourceStatistics } from '../../containerizer/statistics.js';
import type { TaskView } from '../../contracts/task-view.js';
import { CONTAINER_METRICS, registerContainerMetrics } from '../../metrics/container-statistics.js';
import { startMetricsServer } from '../../metrics/endpoint.js';
import { testContainerizer } from '../helpers/containers.js';
import { processGone, until } from '../helpers/wait.js';

function view(taskId: string, container: Container | undefined, terminated = false): TaskView {
  return { taskId, containerId: { value: `${taskId}-cid` }, environment: {}, workingDirectory: '/', container, terminated, waitStatus: undefined, exited: new Promise(() => {}) };
}

function fakeContainer(stats: () => ResourceStatistics): Container {
  return { stats } as unknown as Container;
}

const FULL: ResourceStatistics = {
  timestamp: 1,
  cpus_user_time_secs: 1.5, cpus_system_time_secs: 0.25, cpus_limit: 2, cpus_soft_limit: 0.5, cpus_nr_periods: 100, cpus_nr_throttled: 7, cpus_throttled_time_secs: 0.125,
  mem_total_bytes: 3000, mem_rss_bytes: 2000, mem_cache_bytes: 1000, mem_limit_bytes: 4096, processes: 3, threads: 5,
};

t.test('every ResourceStatistics field of the table becomes one series per container, labelled task_id and container_id', async (t) => {
  const registry = new Registry();
  let reads = 0;
  const tasks = [view('web', fakeContainer(() => (reads++, FULL))), view('no-container', undefined), view('ended', fakeContainer(() => FULL), true)];
  registerContainerMetrics(registry, () => tasks);
  const text = await registry.metrics();
  const expected: Record<string, number> = {
    mesos_sidecar_container_cpu_user_seconds_total: 1.5, mesos_sidecar_container_cpu_system_seconds_total: 0.25, mesos_sidecar_container_cpu_limit: 2,
    mesos_sidecar_container_cpu_soft_limit: 0.5, mesos_sidecar_container_cpu_periods_total: 100, mesos_sidecar_container_cpu_throttled_periods_total: 7,
    mesos_sidecar_container_cpu_throttled_seconds_total: 0.125, mesos_sidecar_container_memory_usage_bytes: 3000, mesos_sidecar_container_memory_rss_bytes: 2000,
    mesos_sidecar_container_memory_cache_bytes: 1000, mesos_sidecar_container_memory_limit_bytes: 4096, mesos_sidecar_container_processes: 3, mesos_sidecar_container_threads: 5,
  };
  t.same(CONTAINER_METRICS.map(([name]) => name).sort(), Object.keys(expected).sort(), 'the table and this test name the same families');
  for (const [name, value] of Object.entries(expected)) t.match(text, `${name}{task_id="web",container_id="web-cid"} ${value}\n`, name);
  t.match(text, '# TYPE mesos_sidecar_container_cpu_user_seconds_total counter');
  t.match(text, '# TYPE mesos_sidecar_container_memory_rss_bytes gauge');
  t.notMatch(text, 'no-container', 'a task without a container has no series');
  t.notMatch(text, 'task_id="ended"', 'a terminated task has none');
  t.equal(reads, 1, 'one stats() read per container per scrape, not one per family');
  await registry.metrics();
  t.equal(reads, 2, 'the next scrape reads again');
});

t.test('fields a container does not report are left out, and a container whose stats() throws is skipped', async (t) => {
  const registry = new Registry();
  // input: stats() failing (its cgroup removed between listing and read) → no series, no error
  const tasks = [view('sparse', fakeContainer(() => ({ timestamp: 1, mem_limit_bytes: 64 }))), view('gone', fakeContainer(() => { throw new Error('ENOENT'); }))];
  registerContainerMetrics(registry, () => tasks);
  const text = await registry.metrics();
  t.match(text, 'mesos_sidecar_container_memory_limit_bytes{task_id="sparse",container_id="sparse-cid"} 64');
  t.notMatch(text, 'mesos_sidecar_container_cpu_user_seconds_total{', 'no CPU figure: no CPU series');
  t.notMatch(text, 'task_id="gone"');
});

t.test('real containers: a busy loop\'s CPU and an allocation\'s memory on the endpoint; the series vanish with the container', async (t) => {
  const real = await testContainerizer(t);
  if (!real) return;
  const { containerizer, hierarchy } = real;
  const busy = await containerizer.launch({ id: 'busy-cid', file: '/bin/sh', args: ['-c', 'while :; do :; done'], env: { PATH: '/usr/bin:/bin' }, cwd: '/tmp', io: { type: 'fds', stdout: 'ignore', stderr: 'ignore' }, resources: { cpus: 0.5, mem: 64, limits: { cpus: 1 } } });
  const alloc = await containerizer.launch({ id: 'alloc-cid', file: '/usr/bin/perl', args: ['-e', 'my $x = "a" x (40 * 1024 * 1024); sleep 300'], env: {}, cwd: '/tmp', io: { type: 'fds', stdout: 'ignore', stderr: 'ignore' }, resources: { cpus: 0.5, mem: 128, limits: {} } });
  const tasks = [view('busy', busy), view('alloc', alloc)];
  const registry = new Registry();
  registerContainerMetrics(registry, () => tasks);
  const endpoint = await startMetricsServer(registry, '127.0.0.1:0');
  t.teardown(() => endpoint.close());
  const scrape = async (): Promise<string> => (await request(endpoint.url)).body.text();
  const value = (text: string, name: string, taskId: string): number => Number(new RegExp(`^${name}\\{task_id="${taskId}",container_id="${taskId}-cid"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  await until(() => (busy.stats().cpus_user_time_secs ?? 0) >= 0.2 && (alloc.stats().mem_rss_bytes ?? 0) >= 40 * 2 ** 20, 'busy loop CPU ≥ 0.2 s and allocation rss ≥ 40 MiB', 20_000);
  const text = await scrape();
  t.ok(value(text, 'mesos_sidecar_container_cpu_user_seconds_total', 'busy') >= 0.2, 'busy loop CPU seconds');
  t.equal(value(text, 'mesos_sidecar_container_cpu_limit', 'busy'), 1, 'limits.cpus');
  t.ok(value(text, 'mesos_sidecar_container_cpu_periods_total', 'busy') > 0, 'CFS periods with a CPU limit');
  t.ok(value(text, 'mesos_sidecar_container_memory_rss_bytes', 'alloc') >= 40 * 2 ** 20, 'allocation rss');
  t.equal(value(text, 'mesos_sidecar_container_memory_limit_bytes', 'alloc'), 128 * 2 ** 20, 'mem');
  t.equal(value(text, 'mesos_sidecar_container_processes', 'alloc'), 2, 'init + perl');
  const pids = hierarchy.pids(busy.cgroup!);
  const cgroupDirs = hierarchy.dirs(busy.cgroup!);
  await busy.destroy();
  // What the executor's Task shows once the container is gone.
  tasks[0] = view('busy', busy, true);
  const after = await scrape();
  t.notMatch(after, 'task_id="busy"', 'the destroyed container has no series');
  t.match(after, 'task_id="alloc"', 'the other one keeps its own');
  t.same(pids.filter((p) => !processGone(p)), [], 'no process of the destroyed container is left');
  t.same(cgroupDirs.filter((d) => existsSync(d)), [], 'nor its cgroups');
});
