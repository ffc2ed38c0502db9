// cgroup v1 and v2 behind one interface: callers name a cgroup by its path relative to
// the executor's own cgroup (`mesos-sidecar/<task>`, `mesos-sidecar/<task>/mesos/<session>`)
// and never learn which hierarchy holds it. v1 keeps one directory per controller (the
// executor may sit in a different cgroup in each); v2 one directory whose processes live
// in its `leaf` child, as Mesos lays out (spec containers.md §1.3).
import { cgroupDir, parsePids, type CgroupFs, type CgroupLayout } from './cgroupfs.js';
import type { CgroupSetting, HierarchyVersion } from './cgroup-values.js';
import { CgroupError, errnoOf, type CgroupOperation } from './errors.js';

/** v1 controllers we use; `freezer` tracks and stops a container's processes, like Mesos' launcher. */
export const V1_CONTROLLERS = ['freezer', 'cpu', 'cpuacct', 'memory', 'pids'] as const;
/** v2 controllers we enable; processes are tracked by the core `cgroup.procs`. */
export const V2_CONTROLLERS = ['cpu', 'memory', 'pids'] as const;
export type Controller = (typeof V1_CONTROLLERS)[number];

export interface CgroupHierarchy {
  readonly version: HierarchyVersion;
  /** Controllers usable for limits and statistics. */
  readonly controllers: ReadonlySet<Controller>;
  /** Every directory `rel` occupies (v1: one per mounted controller; v2: one). */
  dirs(rel: string): string[];
  /** Creates every missing level of `rel`; on failure removes what this call made, then throws. */
  create(rel: string): void;
  /** Writes limits; a setting whose controller is not in use is skipped. */
  apply(rel: string, settings: readonly CgroupSetting[]): void;
  /** The files a process writes `0` to so that it joins `rel` in every hierarchy. */
  procsFiles(rel: string): string[];
  /** Moves `pid` into `rel` in every hierarchy; false if the process is already gone. */
  join(rel: string, pid: number): boolean;
  /** Pids in `rel` and all its sub-cgroups (host pid namespace). */
  pids(rel: string): number[];
  /** Threads in `rel` and below. */
  threads(rel: string): number;
  /** A control file of `rel`, or undefined if it cannot be read. */
  read(rel: string, controller: Controller, file: string): string | undefined;
  /** SIGKILLs every process in `rel` and below (v1: frozen first, so none can fork away). */
  kill(rel: string): void;
  /** Names of the direct sub-cgroups of `rel` (empty if `rel` does not exist). */
  children(rel: string): string[];
  exists(rel: string): boolean;
  /** Removes `rel` and its sub-cgroups, deepest first, in every hierarchy; absent is fine. */
  remove(rel: string): void;
}

function fail(operation: CgroupOperation, path: string, err: unknown, detail?: string): never {
  throw new CgroupError(operation, path, errnoOf(err), detail, { cause: err });
}

function killPids(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // ESRCH: it exited between the listing and the signal.
    }
  }
}

/** Operations shared by both versions, over a list of directories per cgroup. */
abstract class BaseHierarchy implements CgroupHierarchy {
  abstract readonly version: HierarchyVersion;
  abstract readonly controllers: ReadonlySet<Controller>;
  constructor(protected readonly fs: CgroupFs) {}

  abstract dirs(rel: string): string[];
  /** The directory of `controller` (v1) or the one directory (v2). */
  protected abstract dirOf(rel: string, controller: Controller): string | undefined;
  /** The directory whose cgroup.procs tree lists a container's processes. */
  protected abstract trackingDir(rel: string): string;
  protected abstract afterMkdir(dir: string): void;
  abstract procsFiles(rel: string): string[];
  abstract kill(rel: string): void;

  create(rel: string): void {
    const made: string[] = [];
    try {
      for (const base of this.dirs('')) this.#mkdirs(base, rel, made);
    } catch (err) {
      for (const dir of made.reverse()) {
        try {
          this.fs.rmdir(dir);
        } catch {
          // Best effort: the error below names the failure that matters.
        }
      }
      throw err;
    }
  }

  #mkdirs(base: string, rel: string, made: string[]): void {
    const parts = rel.split('/').filter(Boolean);
    let dir = base;
    this.afterMkdir(dir);
    for (const part of parts) {
      dir = `${dir}/${part}`;
      if (!this.fs.exists(dir)) {
        try {
          this.fs.mkdir(dir);
        } catch (err) {
          fail('create', dir, err);
        }
        made.push(dir);
      }
      this.afterMkdir(dir);
    }
    const leaf = this.leafOf(dir);
    if (leaf && !this.fs.exists(leaf)) {
      try {
        this.fs.mkdir(leaf);
      } catch (err) {
        fail('create', leaf, err);
      }
      made.push(leaf);
    }
  }

  /** v2's `leaf` directory below a container's cgroup; none on v1. */
  protected leafOf(_dir: string): string | undefined {
    return undefined;
  }

  apply(rel: string, settings: readonly CgroupSetting[]): void {
    for (const s of settings) {
      const dir = this.dirOf(rel, s.controller);
      if (!dir) continue;
      const file = `${dir}/${s.file}`;
      try {
        this.fs.write(file, s.value);
      } catch (err) {
        fail('write', file, err, `value ${s.value}`);
      }
    }
  }

  join(rel: string, pid: number): boolean {
    for (const file of this.procsFiles(rel)) {
      try {
        this.fs.write(file, `${pid}\n`);
      } catch (err) {
        if (errnoOf(err) === 'ESRCH') return false;
        fail('join', file, err, `pid ${pid}`);
      }
    }
    return true;
  }

  read(rel: string, controller: Controller, file: string): string | undefined {
    const dir = this.dirOf(rel, controller);
    if (!dir) return undefined;
    try {
      return this.fs.read(`${dir}/${file}`);
    } catch {
      return undefined;
    }
  }

  #walk(dir: string, file: string, acc: number[]): void {
    try {
      acc.push(...parsePids(this.fs.read(`${dir}/${file}`)));
    } catch {
      return;
    }
    for (const sub of this.#subdirs(dir)) this.#walk(`${dir}/${sub}`, file, acc);
  }

  #subdirs(dir: string): string[] {
    try {
      return this.fs.subdirs(dir);
    } catch {
      return [];
    }
  }

  pids(rel: string): number[] {
    const acc: number[] = [];
    this.#walk(this.trackingDir(rel), 'cgroup.procs', acc);
    return [...new Set(acc)];
  }

  threads(rel: string): number {
    const acc: number[] = [];
    this.#walk(this.trackingDir(rel), this.version === 'v1' ? 'tasks' : 'cgroup.threads', acc);
    return new Set(acc).size;
  }

  children(rel: string): string[] {
    return this.#subdirs(this.dirs(rel)[0]!).filter((n) => n !== 'leaf');
  }

  exists(rel: string): boolean {
    return this.dirs(rel).some((d) => this.fs.exists(d));
  }

  remove(rel: string): void {
    for (const dir of this.dirs(rel)) this.#removeTree(dir);
  }

  #removeTree(dir: string): void {
    if (!this.fs.exists(dir)) return;
    for (const sub of this.#subdirs(dir)) this.#removeTree(`${dir}/${sub}`);
    try {
      this.fs.rmdir(dir);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') fail('remove', dir, err);
    }
  }

  protected killLoose(rel: string): void {
    killPids(this.pids(rel));
  }
}

class V1Hierarchy extends BaseHierarchy {
  readonly version = 'v1' as const;
  readonly controllers: ReadonlySet<Controller>;
  readonly #bases = new Map<Controller, string>();

  constructor(fs: CgroupFs, layout: CgroupLayout, controllers: readonly Controller[]) {
    super(fs);
    for (const c of controllers) this.#bases.set(c, cgroupDir(layout.v1Mounts.get(c)!, layout.v1Own.get(c)!));
    this.controllers = new Set(controllers);
  }

  dirs(rel: string): string[] {
    // Comounted controllers (`cpu,cpuacct`) share a directory: list it once.
    return [...new Set([...this.#bases.values()].map((b) => cgroupDir(b, '', rel)))];
  }

  protected dirOf(rel: string, controller: Controller): string | undefined {
    const base = this.#bases.get(controller);
    return base === undefined ? undefined : cgroupDir(base, '', rel);
  }

  protected trackingDir(rel: string): string {
    return this.dirOf(rel, this.#bases.has('freezer') ? 'freezer' : [...this.#bases.keys()][0]!)!;
  }

  protected afterMkdir(): void {}

  procsFiles(rel: string): string[] {
    return this.dirs(rel).map((d) => `${d}/cgroup.procs`);
  }

  kill(rel: string): void {
    const freezer = this.dirOf(rel, 'freezer');
    if (!freezer || !this.fs.exists(`${freezer}/freezer.state`)) return this.killLoose(rel);
    // Frozen processes cannot fork, so one listing catches them all; SIGKILL is delivered
    // to frozen tasks once thawed. Mesos' launcher destroys the same way.
    try {
      this.fs.write(`${freezer}/freezer.state`, 'FROZEN');
    } catch (err) {
      fail('kill', freezer, err, 'freezing');
    }
    this.killLoose(rel);
    try {
      this.fs.write(`${freezer}/freezer.state`, 'THAWED');
    } catch (err) {
      fail('kill', freezer, err, 'thawing');
    }
  }
}

class V2Hierarchy extends BaseHierarchy {
  readonly version = 'v2' as const;
  readonly controllers: ReadonlySet<Controller>;
  readonly #base: string;

  constructor(fs: CgroupFs, layout: CgroupLayout, controllers: readonly Controller[]) {
    super(fs);
    this.#base = cgroupDir(layout.v2Mount!, layout.v2Own ?? '/');
    this.controllers = new Set(controllers);
  }

  dirs(rel: string): string[] {
    return [cgroupDir(this.#base, '', rel)];
  }

  protected dirOf(rel: string): string {
    return this.dirs(rel)[0]!;
  }

  protected trackingDir(rel: string): string {
    return this.dirOf(rel);
  }

  protected override leafOf(dir: string): string {
    return `${dir}/leaf`;
  }

  /** Every non-leaf level hands its controllers down (spec §1.3: never in `leaf`). */
  protected afterMkdir(dir: string): void {
    const file = `${dir}/cgroup.subtree_control`;
    let enabled: string[] = [];
    try {
      enabled = this.fs.read(file).split(/\s+/).filter(Boolean);
    } catch {
      // Unreadable: try to enable and let the write report the errno.
    }
    const missing = [...this.controllers].filter((c) => !enabled.includes(c));
    if (missing.length === 0) return;
    try {
      this.fs.write(file, missing.map((c) => `+${c}`).join(' '));
    } catch (err) {
      fail('write', file, err, errnoOf(err) === 'EBUSY' ? 'the cgroup has processes of its own; run the executor in a leaf cgroup' : `enabling ${missing.join(' ')}`);
    }
  }

  procsFiles(rel: string): string[] {
    return [`${this.dirOf(rel)}/leaf/cgroup.procs`];
  }

  kill(rel: string): void {
    const file = `${this.dirOf(rel)}/cgroup.kill`;
    if (!this.fs.exists(file)) return this.killLoose(rel);
    try {
      this.fs.write(file, '1');
    } catch (err) {
      fail('kill', this.dirOf(rel), err);
    }
  }
}

/**
 * v2 when the unified hierarchy offers controllers at the executor's cgroup, else v1 with
 * whichever of V1_CONTROLLERS are mounted; undefined when neither has any.
 */
export function openHierarchy(fs: CgroupFs, layout: CgroupLayout): CgroupHierarchy | undefined {
  if (layout.v2Mount !== undefined && layout.v2Own !== undefined) {
    let offered: string[] = [];
    try {
      offered = fs.read(`${cgroupDir(layout.v2Mount, layout.v2Own)}/cgroup.controllers`).split(/\s+/);
    } catch {
      // No controllers file: treat as empty.
    }
    const usable = V2_CONTROLLERS.filter((c) => offered.includes(c));
    if (usable.length > 0) return new V2Hierarchy(fs, layout, usable);
  }
  const mounted = V1_CONTROLLERS.filter((c) => layout.v1Mounts.has(c) && layout.v1Own.has(c));
  return mounted.length > 0 ? new V1Hierarchy(fs, layout, mounted) : undefined;
}
