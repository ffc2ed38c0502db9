// A container's requests and limits, parsed once from the task's `resources` and `limits`
// (TaskInfo fields 4 and 15, or LaunchContainer 3 and 5) into plain numbers.
import { ResourceInvalidError } from './errors.js';

/** Requests and limits; `mem` in MB as Mesos counts it; Infinity means "no limit". */
export interface ContainerResources {
  cpus?: number;
  mem?: number;
  limits: { cpus?: number; mem?: number };
  /** cpus marked revocable (Resource.revocable set): v1 weighs them 10 per cpu, v2 1. */
  revocableCpus?: boolean;
}

/** The parts of a mesos.v1.Resource this module reads. */
export interface ResourceLike {
  name?: string | null;
  type?: string | number | null;
  scalar?: { value?: number | null } | null;
  revocable?: object | null;
}

export type LimitsLike = Record<string, { value?: number | null } | null | undefined> | null | undefined;

const SCALAR_TYPE = new Set(['SCALAR', 0, undefined, null]);

function checkRequest(field: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new ResourceInvalidError(field, `expected a number, got ${String(value)}`);
  if (value < 0) throw new ResourceInvalidError(field, `must not be negative, got ${value}`);
  if (!Number.isFinite(value)) throw new ResourceInvalidError(field, 'must be finite');
  return value;
}

/**
 * Sums the scalar `cpus` and `mem` of `resources` (Mesos splits one kind across several
 * Resource entries, one per role or reservation) and reads `limits`. Refuses negative,
 * NaN and infinite requests, limits other than `cpus`/`mem`, and a limit below its
 * request, as the master's validation does (`src/master/validation.cpp`). `mem` below
 * Mesos' 32 MB minimum is not refused: Mesos runs such tasks and raises the cgroup value
 * to the minimum (see cgroup-values.ts).
 */
export function parseResources(resources: readonly ResourceLike[] | null | undefined, limits?: LimitsLike): ContainerResources {
  const out: ContainerResources = { limits: {} };
  for (const [i, r] of (resources ?? []).entries()) {
    if (r.name !== 'cpus' && r.name !== 'mem') continue;
    if (!SCALAR_TYPE.has(r.type as string)) throw new ResourceInvalidError(`resources[${i}].${r.name}`, `expected a SCALAR, got ${String(r.type)}`);
    const v = checkRequest(r.name, r.scalar?.value);
    out[r.name] = (out[r.name] ?? 0) + v;
    if (r.name === 'cpus' && r.revocable) out.revocableCpus = true;
  }
  for (const [name, scalar] of Object.entries(limits ?? {})) {
    const field = `limits.${name}`;
    if (name !== 'cpus' && name !== 'mem') throw new ResourceInvalidError(field, "only 'cpus' and 'mem' may be limited");
    const v = scalar?.value;
    if (typeof v !== 'number' || Number.isNaN(v)) throw new ResourceInvalidError(field, `expected a number, got ${String(v)}`);
    if (v < 0) throw new ResourceInvalidError(field, `must not be negative, got ${v}`);
    const request = out[name] ?? 0;
    if (v < request) throw new ResourceInvalidError(field, `limit ${v} is below the request ${request}`);
    out.limits[name] = v;
  }
  return out;
}
