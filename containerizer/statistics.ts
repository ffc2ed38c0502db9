// `mesos.v1.ResourceStatistics` of one container, read from its cgroups (spec containers.md
// §4.1). Field names are the proto's, so the integration can hand the object to the codec.
import type { HierarchyVersion } from './cgroup-values.js';
import { cfsQuotaUs, type CgroupPolicy } from './cgroup-values.js';
import type { CgroupHierarchy } from './hierarchy.js';
import { parseKeyedFile } from './memory-limitation.js';
import type { ContainerResources } from './resources.js';

export interface ResourceStatistics {
  timestamp: number;
  processes?: number;
  threads?: number;
  cpus_user_time_secs?: number;
  cpus_system_time_secs?: number;
  cpus_limit?: number;
  cpus_soft_limit?: number;
  cpus_nr_periods?: number;
  cpus_nr_throttled?: number;
  cpus_throttled_time_secs?: number;
  mem_total_bytes?: number;
  mem_kmem_usage_bytes?: number;
  mem_kmem_tcp_usage_bytes?: number;
  mem_limit_bytes?: number;
  mem_soft_limit_bytes?: number;
  mem_file_bytes?: number;
  mem_cache_bytes?: number;
  mem_anon_bytes?: number;
  mem_rss_bytes?: number;
  mem_mapped_file_bytes?: number;
  mem_swap_bytes?: number;
  mem_unevictable_bytes?: number;
}

/** The control files statistics come from, as read (undefined = unreadable or absent). */
export interface StatisticsFiles {
  /** v1 `cpuacct.stat`, v2 `cpu.stat`. */
  cpuUsage?: string | undefined;
  /** v1 `cpu.stat` (throttling); v2 takes it from `cpuUsage`. */
  cpuThrottling?: string | undefined;
  /** v1 `memory.usage_in_bytes`, v2 `memory.current`. */
  memoryUsage?: string | undefined;
  memoryStat?: string | undefined;
  kmemUsage?: string | undefined;
  kmemTcpUsage?: string | undefined;
  processes?: number | undefined;
  threads?: number | undefined;
}

/** Host facts for "∞" limits: Mesos reports host cpus and memory there. */
export interface HostFacts {
  cpus: number;
  memoryBytes: number;
  /** sysconf(_SC_CLK_TCK); 100 on every Linux port Node supports. */
  clockTicks: number;
}

function num(text: string | undefined): number | undefined {
  const t = text?.trim();
  return t && /^\d+$/.test(t) ? Number(t) : undefined;
}

function set<K extends keyof ResourceStatistics>(s: ResourceStatistics, key: K, v: ResourceStatistics[K] | undefined): void {
  if (v !== undefined) s[key] = v;
}

/** ResourceStatistics fields from `memory.stat`: the v1 key, the v2 key (none: v2 has no such figure). */
const MEMORY_STAT_FIELDS: ReadonlyArray<[keyof ResourceStatistics, string, string | undefined]> = [
  ['mem_file_bytes', 'total_cache', 'file'],
  ['mem_cache_bytes', 'total_cache', 'file'],
  ['mem_anon_bytes', 'total_rss', 'anon'],
  ['mem_rss_bytes', 'total_rss', 'anon'],
  ['mem_mapped_file_bytes', 'total_mapped_file', 'file_mapped'],
  ['mem_swap_bytes', 'total_swap', undefined],
  ['mem_unevictable_bytes', 'total_unevictable', 'unevictable'],
];

/** Pure: the files and the container's own requests/limits → ResourceStatistics. */
export function buildStatistics(
  version: HierarchyVersion, files: StatisticsFiles, res: ContainerResources, policy: CgroupPolicy, host: HostFacts, nowMs: number,
): ResourceStatistics {
  const s: ResourceStatistics = { timestamp: nowMs / 1000 };
  set(s, 'processes', files.processes);
  set(s, 'threads', files.threads);
  const cpu = parseKeyedFile(files.cpuUsage);
  const mem = parseKeyedFile(files.memoryStat);
  if (version === 'v1') {
    const user = cpu.get('user');
    const system = cpu.get('system');
    set(s, 'cpus_user_time_secs', user === undefined ? undefined : user / host.clockTicks);
    set(s, 'cpus_system_time_secs', system === undefined ? undefined : system / host.clockTicks);
    // Throttling only means something when a quota is set (Mesos: with --cgroups_enable_cfs).
    if (cfsQuotaUs(res, policy) !== undefined) {
      const t = parseKeyedFile(files.cpuThrottling);
      set(s, 'cpus_nr_periods', t.get('nr_periods'));
      set(s, 'cpus_nr_throttled', t.get('nr_throttled'));
      const ns = t.get('throttled_time');
      set(s, 'cpus_throttled_time_secs', ns === undefined ? undefined : ns / 1e9);
    }
    set(s, 'mem_kmem_usage_bytes', num(files.kmemUsage));
    set(s, 'mem_kmem_tcp_usage_bytes', num(files.kmemTcpUsage));
  } else {
    const user = cpu.get('user_usec');
    const system = cpu.get('system_usec');
    set(s, 'cpus_user_time_secs', user === undefined ? undefined : user / 1e6);
    set(s, 'cpus_system_time_secs', system === undefined ? undefined : system / 1e6);
    set(s, 'cpus_nr_periods', cpu.get('nr_periods'));
    set(s, 'cpus_nr_throttled', cpu.get('nr_throttled'));
    const us = cpu.get('throttled_usec');
    set(s, 'cpus_throttled_time_secs', us === undefined ? undefined : us / 1e6);
    set(s, 'mem_kmem_usage_bytes', mem.get('kernel'));
    set(s, 'mem_kmem_tcp_usage_bytes', mem.get('sock'));
  }
  set(s, 'mem_total_bytes', num(files.memoryUsage));
  for (const [field, v1Key, v2Key] of MEMORY_STAT_FIELDS) {
    const key = version === 'v1' ? v1Key : v2Key;
    if (key) set(s, field, mem.get(key));
  }
  // The containerizer's own fields (mesos/containerizer.cpp `_usage`).
  set(s, 'cpus_soft_limit', res.cpus);
  const cpuLimit = res.limits.cpus ?? (policy.enableCfs ? res.cpus : undefined);
  set(s, 'cpus_limit', cpuLimit === undefined ? undefined : Number.isFinite(cpuLimit) ? cpuLimit : host.cpus);
  set(s, 'mem_soft_limit_bytes', res.mem === undefined ? undefined : Math.floor(res.mem * 2 ** 20));
  const memLimit = res.limits.mem ?? res.mem;
  set(s, 'mem_limit_bytes', memLimit === undefined ? undefined : Number.isFinite(memLimit) ? Math.floor(memLimit * 2 ** 20) : host.memoryBytes);
  return s;
}

/** Reads the files of container cgroup `rel` for buildStatistics. */
export function readStatisticsFiles(h: CgroupHierarchy, rel: string): StatisticsFiles {
  const v1 = h.version === 'v1';
  return {
    cpuUsage: v1 ? h.read(rel, 'cpuacct', 'cpuacct.stat') : h.read(rel, 'cpu', 'cpu.stat'),
    ...(v1 ? { cpuThrottling: h.read(rel, 'cpu', 'cpu.stat') } : {}),
    memoryUsage: h.read(rel, 'memory', v1 ? 'memory.usage_in_bytes' : 'memory.current'),
    memoryStat: h.read(rel, 'memory', 'memory.stat'),
    ...(v1 ? { kmemUsage: h.read(rel, 'memory', 'memory.kmem.usage_in_bytes'), kmemTcpUsage: h.read(rel, 'memory', 'memory.kmem.tcp.usage_in_bytes') } : {}),
    processes: h.pids(rel).length,
    threads: h.threads(rel),
  };
}
