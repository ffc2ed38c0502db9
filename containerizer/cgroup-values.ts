// Requests and limits → the values Mesos' cgroups isolators write (`cg1/subsystems/cpu.cpp`,
// `memory.cpp`; `cg2/controllers/cpu.cpp`, `memory.cpp`). Pure, so the table in
// test/containerizer/cgroup-values.test.ts is the specification.
import type { ContainerResources } from './resources.js';

export type HierarchyVersion = 'v1' | 'v2';

/** One control file to write: `controller` picks the v1 hierarchy (ignored on v2). */
export interface CgroupSetting {
  controller: 'cpu' | 'memory' | 'pids';
  file: string;
  value: string;
}

export interface CgroupPolicy {
  /** Mesos' `--cgroups_enable_cfs` (default false): a CFS quota from the request alone. */
  enableCfs?: boolean;
  /** Not a Mesos setting (Mesos never writes pids): `pids.max` when the operator sets one. */
  pidsLimit?: number;
}

const MB = 1024 * 1024;
export const CPU_SHARES_PER_CPU = 1024;
export const CPU_SHARES_PER_CPU_REVOCABLE = 10;
export const MIN_CPU_SHARES = 2;
export const CGROUPS2_CPU_WEIGHT_PER_CPU = 100;
export const CGROUPS2_CPU_WEIGHT_PER_CPU_REVOCABLE = 1;
export const CGROUPS2_MIN_CPU_WEIGHT = 1;
export const CPU_CFS_PERIOD_US = 100_000;
export const MIN_CPU_CFS_QUOTA_US = 1_000;
export const MIN_MEMORY_BYTES = 32 * MB;

/** The CFS quota in µs per 100 ms period, Infinity for none, undefined to leave untouched. */
export function cfsQuotaUs(res: ContainerResources, policy: CgroupPolicy): number | undefined {
  const limit = res.limits.cpus ?? (policy.enableCfs ? res.cpus : undefined);
  if (limit === undefined) return undefined;
  if (!Number.isFinite(limit)) return Infinity;
  return Math.max(Math.floor(CPU_CFS_PERIOD_US * limit), MIN_CPU_CFS_QUOTA_US);
}

/** The soft and hard memory limits in bytes (hard Infinity = unlimited), or undefined without `mem`. */
export function memoryLimits(res: ContainerResources): { soft: number; hard: number } | undefined {
  if (res.mem === undefined && res.limits.mem === undefined) return undefined;
  const soft = Math.max(Math.floor((res.mem ?? 0) * MB), MIN_MEMORY_BYTES);
  const l = res.limits.mem;
  const hard = l === undefined ? soft : Number.isFinite(l) ? Math.max(Math.floor(l * MB), MIN_MEMORY_BYTES) : Infinity;
  return { soft, hard };
}

export function cgroupSettings(version: HierarchyVersion, res: ContainerResources, policy: CgroupPolicy = {}): CgroupSetting[] {
  const out: CgroupSetting[] = [];
  const quota = cfsQuotaUs(res, policy);
  const mem = memoryLimits(res);
  if (version === 'v1') {
    if (res.cpus !== undefined) {
      const per = res.revocableCpus ? CPU_SHARES_PER_CPU_REVOCABLE : CPU_SHARES_PER_CPU;
      out.push({ controller: 'cpu', file: 'cpu.shares', value: String(Math.max(Math.floor(per * res.cpus), MIN_CPU_SHARES)) });
    }
    if (quota !== undefined) {
      out.push({ controller: 'cpu', file: 'cpu.cfs_period_us', value: String(CPU_CFS_PERIOD_US) });
      out.push({ controller: 'cpu', file: 'cpu.cfs_quota_us', value: quota === Infinity ? '-1' : String(quota) });
    }
    if (mem) {
      out.push({ controller: 'memory', file: 'memory.limit_in_bytes', value: mem.hard === Infinity ? '-1' : String(mem.hard) });
      out.push({ controller: 'memory', file: 'memory.soft_limit_in_bytes', value: String(mem.soft) });
    }
    if (policy.pidsLimit !== undefined) out.push({ controller: 'pids', file: 'pids.max', value: String(policy.pidsLimit) });
    return out;
  }
  if (res.cpus !== undefined) {
    const per = res.revocableCpus ? CGROUPS2_CPU_WEIGHT_PER_CPU_REVOCABLE : CGROUPS2_CPU_WEIGHT_PER_CPU;
    out.push({ controller: 'cpu', file: 'cpu.weight', value: String(Math.max(Math.floor(per * res.cpus), CGROUPS2_MIN_CPU_WEIGHT)) });
  }
  out.push({ controller: 'cpu', file: 'cpu.max', value: quota === undefined || quota === Infinity ? `max ${CPU_CFS_PERIOD_US}` : `${quota} ${CPU_CFS_PERIOD_US}` });
  if (mem) {
    out.push({ controller: 'memory', file: 'memory.low', value: String(mem.soft) });
    out.push({ controller: 'memory', file: 'memory.max', value: mem.hard === Infinity ? 'max' : String(mem.hard) });
  }
  if (policy.pidsLimit !== undefined) out.push({ controller: 'pids', file: 'pids.max', value: String(policy.pidsLimit) });
  return out;
}
