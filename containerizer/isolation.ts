// Which isolation this executor can give its containers, decided from probed facts, and
// the operator's MESOS_SIDECAR_ISOLATION override. The decision is a pure function of the
// facts so every combination is a table row; probeIsolationFacts() gathers them.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { EnvironmentError } from '../common/errors.js';
import { realCgroupFs, readCgroupLayout, type CgroupFs, type CgroupLayout } from './cgroupfs.js';
import { openHierarchy, type CgroupHierarchy } from './hierarchy.js';

export const ISOLATION_VARIABLE = 'MESOS_SIDECAR_ISOLATION';

export interface Isolation {
  namespaces: boolean;
  cgroups: boolean;
}

/** Tasks as plain process groups: what an executor without privileges gives. */
export const NO_ISOLATION: Readonly<Isolation> = Object.freeze({ namespaces: false, cgroups: false });

/** `auto` or a fixed choice. */
export type IsolationSetting = { mode: 'auto' } | { mode: 'fixed'; isolation: Isolation };

/** Parses MESOS_SIDECAR_ISOLATION: `auto` (also unset/empty), `none`, or a comma list of `namespaces`, `cgroups`. */
export function parseIsolationSetting(value: string | undefined): IsolationSetting {
  const v = (value ?? '').trim();
  if (v === '' || v === 'auto') return { mode: 'auto' };
  if (v === 'none') return { mode: 'fixed', isolation: { ...NO_ISOLATION } };
  const isolation: Isolation = { ...NO_ISOLATION };
  for (const part of v.split(',').map((p) => p.trim())) {
    if (part === 'namespaces') isolation.namespaces = true;
    else if (part === 'cgroups') isolation.cgroups = true;
    else throw new EnvironmentError(ISOLATION_VARIABLE, `unknown isolation '${part}' in '${v}'; expected auto, none, or a comma list of namespaces and cgroups`);
  }
  return { mode: 'fixed', isolation };
}

/** What the probe found; each `...Problem` says why a capability is missing. */
export interface IsolationFacts {
  root: boolean;
  /** Undefined when `unshare` could create pid, mount, UTS and IPC namespaces. */
  namespacesProblem?: string;
  /** Undefined when the executor may create cgroups under its own cgroup. */
  cgroupsProblem?: string;
  /** e.g. `cgroup v1 (freezer,cpu,cpuacct,memory,pids)`. */
  cgroupsDescription?: string;
}

export interface IsolationChoice extends Isolation {
  /** One sentence for the start-up log line. */
  reason: string;
}

/** The strongest isolation the facts allow, or the operator's choice if the facts allow it. */
export function chooseIsolation(facts: IsolationFacts, setting: IsolationSetting): IsolationChoice {
  const missing = (what: string, problem: string | undefined): string | undefined => (problem === undefined ? undefined : `${what}: ${problem}`);
  const nsProblem = facts.root ? facts.namespacesProblem : 'not running as root';
  const cgProblem = facts.root ? facts.cgroupsProblem : 'not running as root';
  if (setting.mode === 'fixed') {
    const wanted = setting.isolation;
    const problems = [wanted.namespaces ? missing('namespaces', nsProblem) : undefined, wanted.cgroups ? missing('cgroups', cgProblem) : undefined].filter(Boolean);
    if (problems.length > 0) {
      // Asked for more than we may do: run tasks as before, with no error, and say why.
      return { namespaces: wanted.namespaces && !nsProblem, cgroups: wanted.cgroups && !cgProblem, reason: `${ISOLATION_VARIABLE} asks for ${describe(wanted)} but ${problems.join('; ')}` };
    }
    return { ...wanted, reason: `${ISOLATION_VARIABLE}=${describe(wanted)}` };
  }
  const chosen: Isolation = { namespaces: !nsProblem, cgroups: !cgProblem };
  const parts = [
    chosen.namespaces ? 'pid, mount, UTS and IPC namespaces available' : missing('no namespaces', nsProblem),
    chosen.cgroups ? `${facts.cgroupsDescription ?? 'cgroups'} writable under our own cgroup` : missing('no cgroups', cgProblem),
  ];
  return { ...chosen, reason: `auto: ${parts.join('; ')}` };
}

export function describe(i: Isolation): string {
  const parts = [i.namespaces ? 'namespaces' : '', i.cgroups ? 'cgroups' : ''].filter(Boolean);
  return parts.length ? parts.join(',') : 'none';
}

export interface ProbeDeps {
  uid: () => number;
  /** Runs a namespace test; rejects (or throws) with a message when refused. */
  tryNamespaces: () => Promise<void> | void;
  layout: () => CgroupLayout;
  fs: CgroupFs;
}

export const realProbeDeps: ProbeDeps = {
  uid: () => process.getuid?.() ?? -1,
  // Not execFileSync: the executor probes while it subscribes, and the fork plus the new
  // namespaces' /proc mount held its event loop for 15-30 ms, delaying SUBSCRIBE by as much.
  tryNamespaces: () => {
    accessSync('/usr/bin/perl', constants.X_OK);
    return new Promise((resolve, reject) => {
      execFile('unshare', ['--pid', '--fork', '--mount-proc', '--uts', '--ipc', '--kill-child', 'true'], { encoding: 'buffer', timeout: 5000 }, (err, _stdout, stderr) => {
        if (err) reject(Object.assign(err, { stderr }));
        else resolve();
      });
    });
  },
  layout: readCgroupLayout,
  fs: realCgroupFs,
};

/** Gathers IsolationFacts (a few ms: one `unshare true`, a few access(2) calls). */
export async function probeIsolationFacts(deps: ProbeDeps = realProbeDeps): Promise<{ facts: IsolationFacts; hierarchy?: CgroupHierarchy }> {
  const root = deps.uid() === 0;
  const facts: IsolationFacts = { root };
  if (!root) return { facts };
  try {
    await deps.tryNamespaces();
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    facts.namespacesProblem = e.stderr?.toString().trim() || e.code || e.message;
  }
  let hierarchy: CgroupHierarchy | undefined;
  try {
    hierarchy = openHierarchy(deps.fs, deps.layout());
  } catch (err) {
    facts.cgroupsProblem = `cannot read the cgroup layout: ${(err as Error).message}`;
    return { facts };
  }
  if (!hierarchy) facts.cgroupsProblem = 'no cgroup v2 controllers and no v1 controller mounted';
  else {
    const readOnly = hierarchy.dirs('').filter((d) => !deps.fs.writable(d));
    if (readOnly.length > 0) facts.cgroupsProblem = `cannot write ${readOnly.join(', ')}`;
    else facts.cgroupsDescription = `cgroup ${hierarchy.version} (${[...hierarchy.controllers].join(',')})`;
  }
  return facts.cgroupsProblem === undefined && hierarchy ? { facts, hierarchy } : { facts };
}
