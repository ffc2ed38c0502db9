// The only effects on cgroupfs: a handful of synchronous file operations behind an
// interface, so unit tests run against a temp dir laid out like cgroupfs (see
// test/containerizer/fake-cgroupfs.ts). cgroupfs answers from memory, so sync calls cost
// microseconds and keep the create/remove sequences easy to follow.
import { accessSync, constants, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';

export interface CgroupFs {
  mkdir(dir: string): void;
  /** Fails with EBUSY while the cgroup has processes, ENOTEMPTY with sub-cgroups. */
  rmdir(dir: string): void;
  write(file: string, value: string): void;
  read(file: string): string;
  /** Names of the sub-cgroups (directories) of `dir`. */
  subdirs(dir: string): string[];
  exists(path: string): boolean;
  writable(dir: string): boolean;
}

export const realCgroupFs: CgroupFs = {
  mkdir: (dir) => mkdirSync(dir),
  rmdir: (dir) => rmdirSync(dir),
  write: (file, value) => writeFileSync(file, value),
  read: (file) => readFileSync(file, 'utf8'),
  subdirs: (dir) => readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name),
  exists: (p) => accessible(p, constants.F_OK),
  writable: (dir) => accessible(dir, constants.W_OK),
};

function accessible(p: string, mode: number): boolean {
  try {
    accessSync(p, mode);
    return true;
  } catch {
    return false;
  }
}

/** Where each hierarchy is mounted and where this process sits in it. */
export interface CgroupLayout {
  /** v1 controller (or `name=systemd`) → mount point. */
  v1Mounts: Map<string, string>;
  v2Mount?: string;
  /** v1 controller → this process's cgroup path ("/" for the root). */
  v1Own: Map<string, string>;
  v2Own?: string;
}

/** Parses /proc/self/cgroup (`id:controllers:path` lines) and /proc/self/mounts. */
export function parseCgroupLayout(procSelfCgroup: string, procMounts: string): CgroupLayout {
  const layout: CgroupLayout = { v1Mounts: new Map(), v1Own: new Map() };
  for (const line of procSelfCgroup.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, , controllers, path] = m;
    if (controllers === '') layout.v2Own = path!;
    else for (const c of controllers!.split(',')) layout.v1Own.set(c, path!);
  }
  for (const line of procMounts.split('\n')) {
    const [, mountPoint, type, options] = line.split(' ');
    if (!mountPoint || !options) continue;
    if (type === 'cgroup2') layout.v2Mount = mountPoint;
    else if (type === 'cgroup') {
      for (const o of options.split(',')) if (layout.v1Own.has(o)) layout.v1Mounts.set(o, mountPoint);
    }
  }
  return layout;
}

export function readCgroupLayout(): CgroupLayout {
  return parseCgroupLayout(readFileSync('/proc/self/cgroup', 'utf8'), readFileSync('/proc/self/mounts', 'utf8'));
}

/** Joins a cgroup path below a mount point without doubling or dropping slashes. */
export function cgroupDir(mount: string, own: string, rel = ''): string {
  return [mount, own, rel].map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).reduce((a, p) => `${a}/${p}`, mount.startsWith('/') ? '' : '.');
}

/** Pids listed in a cgroup.procs or tasks file. */
export function parsePids(text: string): number[] {
  return text.split('\n').filter((l) => l.trim() !== '').map(Number).filter(Number.isInteger);
}
