// The cgroups isolator: prepare (create + limit), usage (statistics), memory limitation,
// and cleanup (kill + remove) of a container's cgroup, over either hierarchy. Only paths
// below our own parent cgroup are ever touched.
import type { Clock } from '../common/clock.js';
import { cgroupSettings, type CgroupPolicy, type HierarchyVersion } from './cgroup-values.js';
import { CgroupError, errnoOf } from './errors.js';
import type { CgroupHierarchy } from './hierarchy.js';
import { memoryLimitation, type ContainerLimitation } from './memory-limitation.js';
import type { ContainerResources } from './resources.js';
import { readStatisticsFiles, type StatisticsFiles } from './statistics.js';

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

export class CgroupsIsolator {
  constructor(
    readonly hierarchy: CgroupHierarchy,
    /** Our parent cgroup's name below the executor's own (`mesos-sidecar`). */
    readonly root: string,
    readonly policy: CgroupPolicy,
  ) {}

  get version(): HierarchyVersion {
    return this.hierarchy.version;
  }

  path(id: string): string {
    return `${this.root}/${id}`;
  }

  /** Creates `rel` and writes the limits of `res` (none for a session); leaks nothing on failure. */
  prepare(rel: string, res: ContainerResources | undefined): void {
    this.hierarchy.create(rel);
    if (!res) return;
    try {
      this.hierarchy.apply(rel, cgroupSettings(this.version, res, this.policy));
    } catch (err) {
      try {
        this.hierarchy.remove(rel);
      } catch {
        // The write error is the one to report; an empty fresh cgroup always goes.
      }
      throw err;
    }
  }

  procsFiles(rel: string): string[] {
    return this.hierarchy.procsFiles(rel);
  }

  join(rel: string, pid: number): boolean {
    return this.hierarchy.join(rel, pid);
  }

  pids(rel: string): number[] {
    return this.hierarchy.pids(rel);
  }

  /**
   * `eventsOf`: the cgroup whose OOM counters decide, when not `rel` itself. v1 counts a
   * kill only in the victim's own cgroup, so a session's process killed for its task's
   * limit shows in the session's counters while the limit and usage are the task's.
   */
  memoryLimitation(rel: string, eventsOf = rel): ContainerLimitation | undefined {
    if (!this.hierarchy.controllers.has('memory')) return undefined;
    const v1 = this.version === 'v1';
    const read = (file: string, of = rel): string | undefined => this.hierarchy.read(of, 'memory', file);
    return memoryLimitation(this.version, {
      events: read(v1 ? 'memory.oom_control' : 'memory.events', eventsOf),
      limit: read(v1 ? 'memory.limit_in_bytes' : 'memory.max'),
      ...(v1 ? { maxUsage: read('memory.max_usage_in_bytes') } : {}),
      memoryStat: read('memory.stat'),
    });
  }

  statisticsFiles(rel: string): StatisticsFiles {
    return readStatisticsFiles(this.hierarchy, rel);
  }

  /** Kills until the tree is empty; a process that forks while listed is caught next round. */
  async killAll(rel: string, clock: Clock, timeoutMs: number): Promise<void> {
    const deadline = clock.monotonic() + timeoutMs;
    for (;;) {
      if (!this.hierarchy.exists(rel) || this.hierarchy.pids(rel).length === 0) return;
      this.hierarchy.kill(rel);
      if (this.hierarchy.pids(rel).length === 0) return;
      if (clock.monotonic() > deadline) {
        throw new CgroupError('kill', this.hierarchy.dirs(rel)[0]!, 'ETIMEDOUT', `${this.hierarchy.pids(rel).length} processes left after ${timeoutMs} ms`);
      }
      await sleep(clock, 2);
    }
  }

  /** killAll, then removes the tree; EBUSY while the kernel finishes the exits is retried. */
  async destroy(rel: string, clock: Clock, timeoutMs: number): Promise<void> {
    await this.killAll(rel, clock, timeoutMs);
    const deadline = clock.monotonic() + timeoutMs;
    for (;;) {
      try {
        this.hierarchy.remove(rel);
        return;
      } catch (err) {
        if (!(err instanceof CgroupError) || err.errno !== 'EBUSY' || clock.monotonic() > deadline) throw err;
      }
      await sleep(clock, 2);
    }
  }

  /** Sub-cgroups of our parent that belong to no live container: a crashed run's. */
  leftovers(live: ReadonlySet<string>): string[] {
    return this.hierarchy.children(this.root).filter((name) => !live.has(name)).map((name) => this.path(name));
  }

  /** Removes our parent cgroup if nothing is left in it (at shutdown). */
  removeRootIfEmpty(): void {
    if (this.hierarchy.children(this.root).length > 0) return;
    try {
      this.hierarchy.remove(this.root);
    } catch (err) {
      // A concurrent launch re-populated it: keep it.
      const errno = err instanceof CgroupError ? err.errno : errnoOf(err);
      if (errno !== 'EBUSY' && errno !== 'ENOTEMPTY') throw err;
    }
  }
}
