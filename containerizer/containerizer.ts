// launch(ContainerSpec) → Container: one way to start task containers and the exec
// sessions nested in them. The launcher forks into namespaces; the cgroups isolator
// creates, limits, measures and removes cgroups; this file only sequences them and owns
// each container's lifetime (a container whose command exits is destroyed: leftovers
// killed, cgroups removed, then wait() resolves).
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { systemClock, type Clock, type TimerHandle } from '../common/clock.js';
import { rawWaitStatus, signalNumber } from '../common/process.js';
import { CgroupsIsolator } from './cgroups-isolator.js';
import type { CgroupPolicy } from './cgroup-values.js';
import { ContainerStateError } from './errors.js';
import { LaunchError } from '../common/errors.js';
import type { CgroupHierarchy } from './hierarchy.js';
import { parseInitStatus } from './init.js';
import type { Isolation } from './isolation.js';
import type { Terminal } from '../process/terminal.js';
import { findInit, spawnOuter, type ContainerIo, type OuterExit } from './launcher.js';
import type { ContainerLimitation } from './memory-limitation.js';
import type { ContainerResources } from './resources.js';
import { buildStatistics, type HostFacts, type ResourceStatistics } from './statistics.js';

/** Mesos' separator between nesting levels of cgroup paths (`mesos/constants.hpp`). */
export const CGROUP_SEPARATOR = 'mesos';
export const DEFAULT_CGROUP_ROOT = 'mesos-sidecar';
// ContainerID.value becomes a path component; Mesos caps it at 242 characters.
const CGROUP_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Whether `name` can be one cgroup path component of ours: 1..maxLength of [A-Za-z0-9_.-],
 * and none of `.`, `..`, v2's `leaf` or Mesos' nesting separator `mesos`.
 */
export function isCgroupName(name: string, maxLength = 242): boolean {
  return name.length <= maxLength && CGROUP_NAME.test(name) && name !== '.' && name !== '..' && name !== 'leaf' && name !== CGROUP_SEPARATOR;
}

export interface ContainerSpec {
  /** ContainerID.value (a UUID for tasks and sessions). */
  id: string;
  /** For an exec session: the task container whose namespaces and cgroup it joins. */
  parent?: Container;
  file: string;
  args: readonly string[];
  argv0?: string;
  env: Record<string, string>;
  cwd: string;
  uid?: number | undefined;
  gid?: number | undefined;
  io: ContainerIo;
  /** The task's requests and limits; a session shares its task's. */
  resources?: ContainerResources;
}

export interface ContainerTermination {
  exitCode: number | null;
  signal: number | null;
  /** Raw wait(2) status as Mesos' `exit_status`: code << 8, or the signal number. */
  waitStatus: number | undefined;
  /** Set when the kernel killed for the memory limit. */
  limitation?: ContainerLimitation;
  /** Why the command never ran (exec failure, cgroup join refused), in the init's words. */
  launchFailure?: string;
}

export interface ContainerizerOptions {
  isolation: Isolation;
  /** Required when isolation.cgroups; from probeIsolationFacts(). */
  hierarchy?: CgroupHierarchy;
  /** Name of our parent cgroup below the executor's own; tests use their own. */
  cgroupRoot?: string;
  policy?: CgroupPolicy;
  /** Where inits write their status files. */
  runtimeDir?: string;
  clock?: Clock;
  host?: HostFacts;
  /** How often a running task's cgroup is checked for an OOM kill; 0 disables. */
  memoryWatchMs?: number;
  /** How long destroy() keeps killing before it gives up on a cgroup (Mesos: 60 s). */
  destroyTimeoutMs?: number;
}

export interface Container {
  readonly id: string;
  /** Host pid of the container's init (or of the command, without isolation). */
  readonly pid: number;
  /** Path of its cgroup relative to the executor's own, if it has one. */
  readonly cgroup: string | undefined;
  readonly isolation: Isolation;
  /** With io `pipe`. */
  readonly child: ChildProcess | undefined;
  /** With io `pty`: the process module's terminal (drained output, input backpressure). */
  readonly terminal: Terminal | undefined;
  /** Resolves once the command exited and the container is cleaned up. */
  wait(): Promise<ContainerTermination>;
  /** Sends `signal` to the command (through the init); false once it is gone. */
  kill(signal: NodeJS.Signals | number): boolean;
  stats(): ResourceStatistics;
  /** Kills every process of the container and its sessions, removes its cgroups. */
  destroy(): Promise<ContainerTermination>;
}

function defaultHost(): HostFacts {
  return { cpus: os.availableParallelism(), memoryBytes: os.totalmem(), clockTicks: 100 };
}

export class Containerizer {
  readonly isolation: Isolation;
  readonly #cgroups: CgroupsIsolator | undefined;
  readonly #runtimeDir: string;
  readonly #clock: Clock;
  readonly #host: HostFacts;
  readonly #policy: CgroupPolicy;
  readonly #memoryWatchMs: number;
  readonly #destroyTimeoutMs: number;
  readonly #live = new Map<string, ContainerImpl>();
  /** Ids between the start of launch() and their entry in #live. */
  readonly #launching = new Set<string>();

  constructor(opts: ContainerizerOptions) {
    if (opts.isolation.cgroups && !opts.hierarchy) throw new ContainerStateError('cgroups isolation needs a cgroup hierarchy');
    this.isolation = opts.isolation;
    this.#policy = opts.policy ?? {};
    this.#cgroups = opts.isolation.cgroups ? new CgroupsIsolator(opts.hierarchy!, opts.cgroupRoot ?? DEFAULT_CGROUP_ROOT, this.#policy) : undefined;
    this.#runtimeDir = opts.runtimeDir ?? path.join(os.tmpdir(), `mesos-sidecar-${process.pid}`);
    this.#clock = opts.clock ?? systemClock;
    this.#host = opts.host ?? defaultHost();
    this.#memoryWatchMs = opts.memoryWatchMs ?? 1000;
    this.#destroyTimeoutMs = opts.destroyTimeoutMs ?? 10_000;
  }

  /**
   * Removes cgroups a previous run left under our parent (it crashed before destroying
   * its containers), killing what still runs in them. Call once at start, before any
   * launch; returns the paths removed. Never looks outside our parent cgroup.
   */
  async recover(): Promise<string[]> {
    if (!this.#cgroups) return [];
    const removed: string[] = [];
    for (const rel of this.#cgroups.leftovers(new Set(this.#live.keys()))) {
      await this.#cgroups.destroy(rel, this.#clock, this.#destroyTimeoutMs);
      removed.push(rel);
    }
    return removed;
  }

  /** Live containers by id (tasks and sessions). */
  get containers(): ReadonlyMap<string, Container> {
    return this.#live;
  }

  async launch(spec: ContainerSpec): Promise<Container> {
    if (!isCgroupName(spec.id)) {
      throw new LaunchError(`Invalid container id '${spec.id}': expected 1-242 of [A-Za-z0-9_.-], not '.', '..', 'leaf' or 'mesos'`);
    }
    if (this.#live.has(spec.id) || this.#launching.has(spec.id)) throw new ContainerStateError(`Container ${spec.id} already exists`);
    this.#launching.add(spec.id);
    try {
      return await this.#launch(spec);
    } finally {
      this.#launching.delete(spec.id);
    }
  }

  /** Destroys every container, then removes our parent cgroup if nothing else is in it. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.#live.values()].map((c) => c.destroy()));
    this.#cgroups?.removeRootIfEmpty();
  }

  async #launch(spec: ContainerSpec): Promise<Container> {
    const parent = spec.parent === undefined ? undefined : this.#live.get(spec.parent.id);
    if (spec.parent && (!parent || parent.done)) throw new ContainerStateError(`Container ${spec.parent.id} is not running`);
    const cgroup = this.#cgroups ? (parent ? `${parent.cgroup}/${CGROUP_SEPARATOR}/${spec.id}` : this.#cgroups.path(spec.id)) : undefined;
    if (this.#cgroups && cgroup) this.#cgroups.prepare(cgroup, parent ? undefined : spec.resources ?? { limits: {} });
    const useInit = this.isolation.namespaces || this.isolation.cgroups;
    const statusFile = useInit ? path.join(this.#runtimeDir, `${spec.id}.status`) : '';
    const joinInitPid = parent && this.isolation.namespaces ? parent.pid : undefined;
    try {
      if (statusFile) {
        mkdirSync(this.#runtimeDir, { recursive: true });
        rmSync(statusFile, { force: true });
      }
      const launched = await spawnOuter({
        file: spec.file, args: spec.args, argv0: spec.argv0 ?? spec.file, env: spec.env, cwd: spec.cwd, uid: spec.uid, gid: spec.gid, io: spec.io,
        newNamespaces: this.isolation.namespaces && !parent, joinInitPid, useInit,
        procsFiles: this.#cgroups && cgroup ? this.#cgroups.procsFiles(cgroup) : [], statusFile,
      });
      let exited = false;
      const exitedP = launched.exited.then((e) => {
        exited = true;
        return e;
      });
      let pid = launched.outerPid;
      try {
        if (this.isolation.namespaces) pid = (await findInit(launched.outerPid, () => exited, this.#clock)) ?? launched.outerPid;
        // The init joins its cgroups itself before it forks, but only once perl has started:
        // moving it here too means launch() resolves with the whole container in its
        // cgroups (what it forks inherits them), at the cost of a few writes.
        if (this.#cgroups && cgroup && !exited) this.#cgroups.join(cgroup, pid);
      } catch (err) {
        // Half-started: nothing of it may outlive the refusal.
        for (const p of new Set([pid, launched.outerPid])) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await exitedP;
        launched.child?.stdout?.destroy();
        launched.child?.stderr?.destroy();
        throw err;
      }
      const c = new ContainerImpl(this, spec, parent, pid, launched.outerPid, cgroup, statusFile, launched.child, launched.terminal, exitedP);
      this.#live.set(spec.id, c);
      parent?.sessions.add(c);
      c.start();
      return c;
    } catch (err) {
      if (this.#cgroups && cgroup) await this.#cgroups.destroy(cgroup, this.#clock, this.#destroyTimeoutMs).catch(() => undefined);
      if (statusFile) rmSync(statusFile, { force: true });
      throw err;
    }
  }

  /** @internal */ get cgroupsIsolator(): CgroupsIsolator | undefined {
    return this.#cgroups;
  }
  /** @internal */ get clock(): Clock {
    return this.#clock;
  }
  /** @internal */ get settings(): { host: HostFacts; policy: CgroupPolicy; memoryWatchMs: number; destroyTimeoutMs: number } {
    return { host: this.#host, policy: this.#policy, memoryWatchMs: this.#memoryWatchMs, destroyTimeoutMs: this.#destroyTimeoutMs };
  }
  /** @internal */ forget(id: string): void {
    this.#live.delete(id);
  }
}

/** How long a signal waits for a starting init to install its handlers (perl starts in ms). */
const INIT_HANDLERS_TIMEOUT_MS = 5000;

/** Whether `pid` has a handler for `signal` (SigCgt in /proc/<pid>/status); true when unreadable. */
function catchesSignal(pid: number, signal: number): boolean {
  const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readIfExists(`/proc/${pid}/status`) ?? '');
  return m === null || ((BigInt(`0x${m[1]}`) >> BigInt(signal - 1)) & 1n) === 1n;
}

function readIfExists(file: string): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

class ContainerImpl implements Container {
  readonly sessions = new Set<ContainerImpl>();
  done = false;
  #limitation: ContainerLimitation | undefined;
  #watch: TimerHandle | undefined;
  #destroying: Promise<void> | undefined;
  #killedByUs = false;
  /** Set once the spawned process exited: its pids may be reused, so never signal them again. */
  #exited = false;
  #termination!: Promise<ContainerTermination>;

  constructor(
    readonly owner: Containerizer,
    readonly spec: ContainerSpec,
    readonly parent: ContainerImpl | undefined,
    readonly pid: number,
    readonly outerPid: number,
    readonly cgroup: string | undefined,
    readonly statusFile: string,
    readonly child: ChildProcess | undefined,
    readonly terminal: Terminal | undefined,
    readonly exited: Promise<OuterExit>,
  ) {}

  get id(): string {
    return this.spec.id;
  }

  get isolation(): Isolation {
    return this.owner.isolation;
  }

  start(): void {
    this.#termination = this.exited.then((e) => this.#finish(e));
    this.#scheduleWatch();
  }

  /** Polls the OOM counters: Mesos destroys a container on the first OOM event, not at exit. */
  #scheduleWatch(): void {
    const cg = this.owner.cgroupsIsolator;
    const ms = this.owner.settings.memoryWatchMs;
    if (!cg || !this.cgroup || this.parent || ms <= 0) return;
    this.#watch = this.owner.clock.setTimeout(() => {
      if (this.done) return;
      const limitation = cg.memoryLimitation(this.cgroup!);
      if (limitation) {
        this.#limitation = limitation;
        void this.destroy();
      } else this.#scheduleWatch();
    }, ms);
  }

  /**
   * The task's limitation, read now rather than at the next poll, when its session
   * `session` (a cgroup path) ends: a session's process the kernel killed for the task's
   * limit ends before the poll could see it, and v1 counts that kill in the session's
   * cgroup only. Mesos destroys the task and gives its sessions the same termination.
   */
  limitedNow(session: string): ContainerLimitation | undefined {
    const cg = this.owner.cgroupsIsolator;
    if (this.#limitation || this.done || !cg || !this.cgroup) return this.#limitation;
    this.#limitation = cg.memoryLimitation(this.cgroup) ?? cg.memoryLimitation(this.cgroup, session);
    if (this.#limitation) void this.destroy();
    return this.#limitation;
  }

  async #finish(outer: OuterExit): Promise<ContainerTermination> {
    this.owner.clock.clearTimeout(this.#watch);
    const cg = this.owner.cgroupsIsolator;
    // Read the OOM state before the cgroup goes away with the cleanup below. A session has
    // no limit of its own: its task's limit is what the kernel enforced on it.
    if (cg && this.cgroup) this.#limitation ??= this.parent ? this.parent.limitedNow(this.cgroup) : cg.memoryLimitation(this.cgroup);
    this.#exited = true;
    // Without an init the command led its own process group: what it left there goes too,
    // as the executor did before containers. The group id cannot be reused while it has members.
    if (!this.isolation.namespaces && !this.isolation.cgroups) {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        // ESRCH: nothing was left.
      }
    }
    await this.#killAll();
    this.done = true;
    // Sessions end with us: their processes were in our pid namespace or cgroup tree.
    if (this.owner.isolation.namespaces || cg) for (const s of this.sessions) await s.wait();
    if (cg && this.cgroup) await cg.destroy(this.cgroup, this.owner.clock, this.owner.settings.destroyTimeoutMs);
    const status = parseInitStatus(readIfExists(this.statusFile));
    if (this.statusFile) rmSync(this.statusFile, { force: true });
    this.owner.forget(this.id);
    this.parent?.sessions.delete(this);
    let exitCode: number | null = outer.code;
    let signal: number | null = signalNumber(outer.signal) ?? null;
    let launchFailure: string | undefined;
    if (status?.kind === 'exit') [exitCode, signal] = [status.code, null];
    else if (status?.kind === 'signal') [exitCode, signal] = [null, status.signal];
    else if (status?.kind === 'error') launchFailure = status.message;
    // A limited container is destroyed (MesosContainerizerProcess::limited): its status is
    // SIGKILL whether the kernel's OOM kill, our destroy or the command's own exit came first.
    if (this.#limitation) [exitCode, signal] = [null, 9];
    // The init died by our SIGKILL before it could write a status: the outer process's exit
    // (unshare's or nsenter's own code) says nothing about the command, which was killed.
    else if (!status && this.#killedByUs && (this.isolation.namespaces || this.isolation.cgroups)) [exitCode, signal] = [null, 9];
    return {
      exitCode, signal, waitStatus: rawWaitStatus(exitCode, signal),
      ...(this.#limitation ? { limitation: this.#limitation } : {}), ...(launchFailure ? { launchFailure } : {}),
    };
  }

  wait(): Promise<ContainerTermination> {
    return this.#termination;
  }

  kill(signal: NodeJS.Signals | number): boolean {
    if (this.done) return false;
    // PID 1 of a pid namespace gets from outside only the signals it has a handler for
    // (and SIGKILL): one sent while perl is still starting would be dropped. It waits
    // until the init catches it; the init passes it on once the command exists.
    const number = signalNumber(signal);
    if (this.isolation.namespaces && number !== undefined && number !== 9 && !catchesSignal(this.pid, number)) {
      this.#killWhenCaught(signal, number, this.owner.clock.monotonic() + INIT_HANDLERS_TIMEOUT_MS);
      return true;
    }
    try {
      // Without an init the command leads its own process group, as tasks did before.
      process.kill(this.isolation.namespaces || this.isolation.cgroups ? this.pid : -this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  #killWhenCaught(signal: NodeJS.Signals | number, number: number, deadline: number): void {
    this.owner.clock.setTimeout(() => {
      if (this.done || this.#exited) return;
      if (!catchesSignal(this.pid, number) && this.owner.clock.monotonic() < deadline) return this.#killWhenCaught(signal, number, deadline);
      try {
        process.kill(this.pid, signal);
      } catch {
        // gone meanwhile
      }
    }, 1);
  }

  stats(): ResourceStatistics {
    const { host, policy } = this.owner.settings;
    const res = this.parent?.spec.resources ?? this.spec.resources ?? { limits: {} };
    const cg = this.owner.cgroupsIsolator;
    const files = cg && this.cgroup ? cg.statisticsFiles(this.cgroup) : {};
    return buildStatistics(cg?.version ?? 'v1', files, res, policy, host, this.owner.clock.now());
  }

  /** Every process goes: the pid namespace with its init, the cgroup tree member by member. */
  #killAll(): Promise<void> {
    // Killed by us while it still ran: what the init could not report is our SIGKILL.
    if (!this.#exited) this.#killedByUs = true;
    this.#destroying ??= (async () => {
      for (const pid of this.#exited ? [] : [this.pid, this.outerPid]) {
        try {
          process.kill(this.isolation.namespaces || this.isolation.cgroups ? pid : -pid, 'SIGKILL');
        } catch {
          // ESRCH: already gone.
        }
      }
      const cg = this.owner.cgroupsIsolator;
      if (cg && this.cgroup) await cg.killAll(this.cgroup, this.owner.clock, this.owner.settings.destroyTimeoutMs);
    })();
    return this.#destroying;
  }

  async destroy(): Promise<ContainerTermination> {
    if (!this.done) await this.#killAll();
    return this.#termination;
  }
}
