// resources/limits → the cgroup values Mesos' isolators write (spec containers.md §2).
import t from 'tap';
import { cgroupSettings, type CgroupPolicy } from '../../containerizer/cgroup-values.js';
import type { ContainerResources } from '../../containerizer/resources.js';

const MB = 2 ** 20;
const r = (cpus: number | undefined, mem: number | undefined, limits: ContainerResources['limits'] = {}, revocableCpus = false): ContainerResources => ({
  ...(cpus !== undefined ? { cpus } : {}), ...(mem !== undefined ? { mem } : {}), limits, ...(revocableCpus ? { revocableCpus } : {}),
});
const asMap = (s: ReturnType<typeof cgroupSettings>): Record<string, string> => Object.fromEntries(s.map((x) => [x.file, x.value]));

const rows: Array<{ name: string; v: 'v1' | 'v2'; res: ContainerResources; policy?: CgroupPolicy; want: Record<string, string> }> = [
  { name: 'v1 cpus 0.5, mem 64: shares 512, hard = soft', v: 'v1', res: r(0.5, 64), want: { 'cpu.shares': '512', 'memory.limit_in_bytes': String(64 * MB), 'memory.soft_limit_in_bytes': String(64 * MB) } },
  { name: 'v1 tiny cpus get MIN_CPU_SHARES 2', v: 'v1', res: r(0.001, undefined), want: { 'cpu.shares': '2' } },
  { name: 'v1 revocable cpus weigh 10 per cpu', v: 'v1', res: r(2, undefined, {}, true), want: { 'cpu.shares': '20' } },
  { name: 'v1 mem below 32 MB is raised to MIN_MEMORY', v: 'v1', res: r(undefined, 8), want: { 'memory.limit_in_bytes': String(32 * MB), 'memory.soft_limit_in_bytes': String(32 * MB) } },
  { name: 'v1 limits.mem above the request is the hard limit', v: 'v1', res: r(1, 64, { mem: 128 }), want: { 'cpu.shares': '1024', 'memory.limit_in_bytes': String(128 * MB), 'memory.soft_limit_in_bytes': String(64 * MB) } },
  { name: 'v1 limits.cpus 1.5 → CFS quota 150 ms per 100 ms', v: 'v1', res: r(1, undefined, { cpus: 1.5 }), want: { 'cpu.shares': '1024', 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '150000' } },
  { name: 'v1 limits.cpus tiny → MIN_CPU_CFS_QUOTA 1 ms', v: 'v1', res: r(0.001, undefined, { cpus: 0.001 }), want: { 'cpu.shares': '2', 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '1000' } },
  { name: 'v1 infinite limits → -1', v: 'v1', res: r(1, 64, { cpus: Infinity, mem: Infinity }), want: { 'cpu.shares': '1024', 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '-1', 'memory.limit_in_bytes': '-1', 'memory.soft_limit_in_bytes': String(64 * MB) } },
  { name: 'v1 enableCfs: quota from the request', v: 'v1', res: r(0.25, undefined), policy: { enableCfs: true }, want: { 'cpu.shares': '256', 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '25000' } },
  { name: 'v1 pidsLimit writes pids.max', v: 'v1', res: r(1, undefined), policy: { pidsLimit: 100 }, want: { 'cpu.shares': '1024', 'pids.max': '100' } },
  { name: 'v2 cpus 0.5, mem 64: weight 50, cpu.max max, memory.max = low', v: 'v2', res: r(0.5, 64), want: { 'cpu.weight': '50', 'cpu.max': 'max 100000', 'memory.low': String(64 * MB), 'memory.max': String(64 * MB) } },
  { name: 'v2 tiny cpus get weight 1; revocable 1 per cpu', v: 'v2', res: r(0.001, undefined), want: { 'cpu.weight': '1', 'cpu.max': 'max 100000' } },
  { name: 'v2 limits', v: 'v2', res: r(1, 64, { cpus: 2, mem: 256 }), want: { 'cpu.weight': '100', 'cpu.max': '200000 100000', 'memory.low': String(64 * MB), 'memory.max': String(256 * MB) } },
  { name: 'v2 infinite limits → max', v: 'v2', res: r(1, 64, { cpus: Infinity, mem: Infinity }), want: { 'cpu.weight': '100', 'cpu.max': 'max 100000', 'memory.low': String(64 * MB), 'memory.max': 'max' } },
];

for (const row of rows) {
  t.test(row.name, async (t) => {
    t.same(asMap(cgroupSettings(row.v, row.res, row.policy)), row.want);
  });
}

t.test('v1 writes controllers to their own hierarchy', async (t) => {
  const s = cgroupSettings('v1', r(1, 64, { cpus: 1 }));
  t.same(new Set(s.map((x) => `${x.controller}:${x.file.split('.')[0]}`)), new Set(['cpu:cpu', 'memory:memory']));
});
