// A temp dir laid out like cgroupfs, with the kernel rules the containerizer depends on:
// mkdir creates the control files, rmdir refuses a cgroup with processes (EBUSY) or
// sub-cgroups (ENOTEMPTY), v2 refuses to enable controllers in a cgroup with processes of
// its own (EBUSY), and a read-only directory refuses writes and mkdir (EACCES).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCgroupLayout, realCgroupFs, type CgroupFs, type CgroupLayout } from '../../containerizer/cgroupfs.js';

function errno(code: string, p: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${p}`), { code });
}

export interface FakeCgroupFs {
  root: string;
  fs: CgroupFs;
  readOnly: Set<string>;
  /** Mounts the named v1 controllers under root/<controller>; `own` gives this process's cgroup per controller. */
  v1Layout(controllers: string[], own?: Record<string, string>): CgroupLayout;
  /** Mounts v2 at root/unified offering `controllers` at `own`. */
  v2Layout(controllers: string[], own?: string): CgroupLayout;
  /** Every directory below root, relative, sorted. */
  dirs(): string[];
  setProcs(dir: string, pids: number[]): void;
  /** A file's content (control files and what was written). */
  read(file: string): string;
}

interface Tap {
  teardown(fn: () => void): void;
}

export function fakeCgroupFs(t: Tap): FakeCgroupFs {
  const root = mkdtempSync(path.join(tmpdir(), 'fake-cgroupfs-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const readOnly = new Set<string>();
  const v2Roots = new Set<string>();
  const isV2 = (dir: string): boolean => [...v2Roots].some((r) => dir === r || dir.startsWith(`${r}/`));
  const controlFiles = (dir: string): void => {
    writeFileSync(path.join(dir, 'cgroup.procs'), '');
    if (isV2(dir)) {
      const parentSubtree = existsSync(path.join(dir, '..', 'cgroup.subtree_control')) ? readFileSync(path.join(dir, '..', 'cgroup.subtree_control'), 'utf8') : '';
      writeFileSync(path.join(dir, 'cgroup.controllers'), parentSubtree);
      writeFileSync(path.join(dir, 'cgroup.subtree_control'), '');
      writeFileSync(path.join(dir, 'cgroup.threads'), '');
      writeFileSync(path.join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n');
    } else {
      writeFileSync(path.join(dir, 'tasks'), '');
      if (dir.includes('/freezer/')) writeFileSync(path.join(dir, 'freezer.state'), 'THAWED\n');
      if (dir.includes('/memory/')) writeFileSync(path.join(dir, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n');
    }
  };
  const fs: CgroupFs = {
    ...realCgroupFs,
    mkdir(dir) {
      if (readOnly.has(path.dirname(dir))) throw errno('EACCES', dir);
      mkdirSync(dir);
      controlFiles(dir);
    },
    rmdir(dir) {
      if (!existsSync(dir)) throw errno('ENOENT', dir);
      if (readOnly.has(path.dirname(dir))) throw errno('EACCES', dir);
      if (readdirSync(dir, { withFileTypes: true }).some((d) => d.isDirectory())) throw errno('ENOTEMPTY', dir);
      if (readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim() !== '') throw errno('EBUSY', dir);
      rmSync(dir, { recursive: true });
    },
    write(file, value) {
      const dir = path.dirname(file);
      if (readOnly.has(dir)) throw errno('EACCES', file);
      if (path.basename(file) === 'cgroup.subtree_control') {
        if (readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim() !== '') throw errno('EBUSY', file);
        const have = new Set(readFileSync(file, 'utf8').split(/\s+/).filter(Boolean));
        for (const tok of value.split(/\s+/).filter(Boolean)) {
          if (tok.startsWith('+')) have.add(tok.slice(1));
          else if (tok.startsWith('-')) have.delete(tok.slice(1));
        }
        writeFileSync(file, [...have].join(' '));
        return;
      }
      writeFileSync(file, value);
    },
    writable: (dir) => !readOnly.has(dir) && existsSync(dir),
  };
  const mountV1 = (c: string, own: string): void => {
    mkdirSync(path.join(root, c), { recursive: true });
    controlFiles(path.join(root, c));
    let dir = path.join(root, c);
    for (const part of own.split('/').filter(Boolean)) {
      dir = path.join(dir, part);
      mkdirSync(dir);
      controlFiles(dir);
    }
  };
  return {
    root,
    fs,
    readOnly,
    v1Layout(controllers, own = {}) {
      for (const c of controllers) mountV1(c, own[c] ?? '/');
      const cgroupText = controllers.map((c, i) => `${i + 1}:${c}:${own[c] ?? '/'}`).join('\n') + '\n0::/\n';
      const mounts = controllers.map((c) => `cgroup ${root}/${c} cgroup rw,relatime,${c} 0 0`).join('\n');
      return parseCgroupLayout(cgroupText, mounts);
    },
    v2Layout(controllers, own = '/') {
      const mount = path.join(root, 'unified');
      v2Roots.add(mount);
      mkdirSync(mount);
      controlFiles(mount);
      writeFileSync(path.join(mount, 'cgroup.subtree_control'), controllers.join(' '));
      writeFileSync(path.join(mount, 'cgroup.controllers'), controllers.join(' '));
      let dir = mount;
      for (const part of own.split('/').filter(Boolean)) {
        dir = path.join(dir, part);
        mkdirSync(dir);
        controlFiles(dir);
        writeFileSync(path.join(dir, 'cgroup.subtree_control'), controllers.join(' '));
      }
      return parseCgroupLayout(`0::${own}\n`, `cgroup2 ${mount} cgroup2 rw,relatime 0 0`);
    },
    dirs() {
      const out: string[] = [];
      const walk = (d: string): void => {
        for (const e of readdirSync(d)) {
          const p = path.join(d, e);
          if (statSync(p).isDirectory()) {
            out.push(path.relative(root, p));
            walk(p);
          }
        }
      };
      walk(root);
      return out.sort();
    },
    setProcs(dir, pids) {
      writeFileSync(path.join(dir, 'cgroup.procs'), pids.map((p) => `${p}\n`).join(''));
    },
    read: (file) => readFileSync(file, 'utf8'),
  };
}
