// Memory-limit kills, reported as Mesos' cgroups isolators report them (spec containers.md
// §3): a ContainerLimitation with one scalar `mem` and the hierarchy's message. Pure: the
// caller reads the control files and passes their text.
import type { HierarchyVersion } from './cgroup-values.js';

export const REASON_CONTAINER_LIMITATION_MEMORY = 'REASON_CONTAINER_LIMITATION_MEMORY';

/** `mesos.slave.ContainerLimitation`; `resources` is what TaskResourceLimitation carries. */
export interface ContainerLimitation {
  resources: Array<{ name: 'mem'; type: 'SCALAR'; scalar: { value: number }; role: '*' }>;
  message: string;
  reason: typeof REASON_CONTAINER_LIMITATION_MEMORY;
}

/** The control files that decide and describe a memory kill, as read (undefined = unreadable). */
export interface MemoryFiles {
  /** v1 `memory.oom_control`, v2 `memory.events`. */
  events?: string | undefined;
  /** v1 `memory.limit_in_bytes`, v2 `memory.max`. */
  limit?: string | undefined;
  /** v1 `memory.max_usage_in_bytes` (v2 has no peak in Mesos' message). */
  maxUsage?: string | undefined;
  memoryStat?: string | undefined;
}

/** `key value` lines (memory.stat, cpu.stat, memory.events, oom_control) → numbers. */
export function parseKeyedFile(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^-?\d+$/.test(value)) out.set(key, Number(value));
  }
  return out;
}

/**
 * True when the kernel's OOM killer acted in the cgroup: v1 `oom_kill` (kernel ≥ 4.13) or
 * `under_oom` in memory.oom_control, v2 `oom_kill` in memory.events. Mesos listens for the
 * event; we read the same counters at exit and on a poll, which needs no eventfd (Node has
 * none) and sees an OOM that happened while nobody listened.
 */
export function oomHappened(version: HierarchyVersion, events: string | undefined): boolean {
  const e = parseKeyedFile(events);
  if (version === 'v1') return (e.get('oom_kill') ?? 0) > 0 || (e.get('under_oom') ?? 0) > 0;
  return (e.get('oom_kill') ?? 0) > 0;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** stout `Bytes` printing: raise the unit only while no information is lost (`64MB`, `1536B`, `0B`). */
export function formatBytes(bytes: bigint | number): string {
  let v = BigInt(bytes);
  let unit = 0;
  while (v !== 0n && v % 1024n === 0n && unit < UNITS.length - 1) {
    v /= 1024n;
    unit++;
  }
  return `${v}${UNITS[unit]}`;
}

// Control files hold 64-bit values (v1's "unlimited" is 9223372036854771712): BigInt keeps them exact.
function parseBytes(text: string | undefined): bigint | undefined {
  const t = text?.trim();
  return t && /^\d+$/.test(t) ? BigInt(t) : undefined;
}

/** The limitation for a container whose cgroup saw an OOM kill; undefined when it did not. */
export function memoryLimitation(version: HierarchyVersion, files: MemoryFiles): ContainerLimitation | undefined {
  if (!oomHappened(version, files.events)) return undefined;
  const limit = parseBytes(files.limit);
  let message: string;
  let mb: number;
  if (version === 'v1') {
    const peak = parseBytes(files.maxUsage);
    mb = peak === undefined ? 0 : Number(peak) / 2 ** 20;
    message = 'Memory limit exceeded: ';
    if (limit !== undefined) message += `Requested: ${formatBytes(limit)} `;
    if (peak !== undefined) message += `Maximum Used: ${formatBytes(peak)}\n`;
    // memory.stat ends in a newline and Mesos adds one more.
    if (files.memoryStat !== undefined) message += `\nMEMORY STATISTICS: \n${files.memoryStat}\n`;
  } else {
    mb = limit === undefined ? 0 : Number(limit) / 2 ** 20;
    message = 'Memory limit exceeded: \n';
    const stat = files.memoryStat === undefined ? undefined : parseKeyedFile(files.memoryStat);
    if (stat) {
      message += 'MEMORY STATISTICS post-OOM: \n';
      for (const key of ['anon', 'file', 'kernel']) {
        const v = stat.get(key);
        if (v !== undefined) message += `${key}: ${formatBytes(v)}\n`;
      }
    }
  }
  return { resources: [{ name: 'mem', type: 'SCALAR', scalar: { value: mb }, role: '*' }], message, reason: REASON_CONTAINER_LIMITATION_MEMORY };
}
