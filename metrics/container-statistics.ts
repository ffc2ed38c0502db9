// ResourceStatistics of every running task's container as Prometheus series, read when
// scraped (container.stats() of the live containers; nothing polls in between). One
// family per field, labelled task_id and container_id; a container's series vanish with it.
import type { Metric, Registry } from 'prom-client';
import type { ResourceStatistics } from '../containerizer/statistics.js';
import type { TaskView } from '../contracts/task-view.js';

type NumericField = Exclude<keyof ResourceStatistics, 'timestamp'>;

/** Family name, Prometheus type, help, the ResourceStatistics field it shows. */
export const CONTAINER_METRICS: ReadonlyArray<readonly [name: string, type: 'counter' | 'gauge', help: string, field: NumericField]> = [
  ['mesos_sidecar_container_cpu_user_seconds_total', 'counter', 'CPU time spent in user mode by the container (cpus_user_time_secs)', 'cpus_user_time_secs'],
  ['mesos_sidecar_container_cpu_system_seconds_total', 'counter', 'CPU time spent in kernel mode by the container (cpus_system_time_secs)', 'cpus_system_time_secs'],
  ['mesos_sidecar_container_cpu_limit', 'gauge', 'Hard CPU limit in cpus (cpus_limit: limits.cpus, or the request with a CFS quota)', 'cpus_limit'],
  ['mesos_sidecar_container_cpu_soft_limit', 'gauge', 'CPU request in cpus, the share weight (cpus_soft_limit)', 'cpus_soft_limit'],
  ['mesos_sidecar_container_cpu_periods_total', 'counter', 'CFS enforcement periods elapsed (cpus_nr_periods; only with a CPU quota)', 'cpus_nr_periods'],
  ['mesos_sidecar_container_cpu_throttled_periods_total', 'counter', 'CFS periods in which the container was throttled (cpus_nr_throttled)', 'cpus_nr_throttled'],
  ['mesos_sidecar_container_cpu_throttled_seconds_total', 'counter', 'Time the container was throttled (cpus_throttled_time_secs)', 'cpus_throttled_time_secs'],
  ['mesos_sidecar_container_memory_usage_bytes', 'gauge', 'Memory charged to the container, cache included (mem_total_bytes)', 'mem_total_bytes'],
  ['mesos_sidecar_container_memory_rss_bytes', 'gauge', 'Anonymous memory of the container (mem_rss_bytes)', 'mem_rss_bytes'],
  ['mesos_sidecar_container_memory_cache_bytes', 'gauge', 'Page cache charged to the container (mem_cache_bytes)', 'mem_cache_bytes'],
  ['mesos_sidecar_container_memory_limit_bytes', 'gauge', 'Hard memory limit (mem_limit_bytes)', 'mem_limit_bytes'],
  ['mesos_sidecar_container_processes', 'gauge', 'Processes in the container (processes)', 'processes'],
  ['mesos_sidecar_container_threads', 'gauge', 'Threads in the container (threads)', 'threads'],
];

interface Sample {
  labels: { task_id: string; container_id: string };
  stats: ResourceStatistics;
}

type Value = { labels: Record<string, string>; value: number };

/**
 * Registers the families of CONTAINER_METRICS on `registry`. `tasks` is read at every
 * scrape; every task with a container that has not terminated is measured once per scrape
 * (the registry asks each family in one go; the snapshot is dropped at the next microtask).
 */
export function registerContainerMetrics(registry: Registry, tasks: () => Iterable<TaskView>): void {
  let snapshot: Sample[] | undefined;
  const samples = (): Sample[] => {
    if (snapshot) return snapshot;
    const taken: Sample[] = [];
    for (const task of tasks()) {
      if (!task.container || task.terminated) continue;
      try {
        taken.push({ labels: { task_id: task.taskId, container_id: task.containerId.value }, stats: task.container.stats() });
      } catch {
        // Gone between the listing and the read (its cgroup removed): it has no series now.
      }
    }
    snapshot = taken;
    queueMicrotask(() => (snapshot = undefined));
    return taken;
  };
  for (const [name, type, help, field] of CONTAINER_METRICS) {
    const family = {
      name, help, type, aggregator: 'sum',
      get: () => {
        const values: Value[] = [];
        for (const { labels, stats } of samples()) {
          const value = stats[field];
          if (value !== undefined) values.push({ labels, value });
        }
        return { name, help, type, aggregator: 'sum', values };
      },
    };
    registry.registerMetric(family as unknown as Metric);
  }
}
