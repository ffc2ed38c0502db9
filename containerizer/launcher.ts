// The launcher: forks a container's init into new namespaces (or into its task's, for a
// session) and nothing else; limits are the isolators' job. `argv` composition is pure so
// its table test pins the exact unshare/nsenter flags.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import type { Clock } from '../common/clock.js';
import { LaunchError } from '../common/errors.js';
import { errnoOf } from './errors.js';
import { initArgv } from './init.js';
import { spawnTerminal, type Terminal } from '../process/terminal.js';
import { outputPipes } from '../process/os-pipe.js';

export const UNSHARE = '/usr/bin/unshare';
export const NSENTER = '/usr/bin/nsenter';
export const PERL = '/usr/bin/perl';

/** How the container's stdio is connected. */
export type ContainerIo =
  | { type: 'fds'; stdin?: number | 'ignore'; stdout: number | 'ignore'; stderr: number | 'ignore' }
  | { type: 'pipe' }
  | { type: 'pty'; columns: number; rows: number };

export interface LaunchRequest {
  file: string;
  args: readonly string[];
  argv0: string;
  env: Record<string, string>;
  cwd: string;
  uid?: number | undefined;
  gid?: number | undefined;
  io: ContainerIo;
  /** New pid (with its own /proc), mount, UTS and IPC namespaces; the network stays the host's. */
  newNamespaces: boolean;
  /** A session: enter the namespaces of this init (host pid) instead. */
  joinInitPid?: number | undefined;
  /** Whether to run our init at all (false only without any isolation). */
  useInit: boolean;
  procsFiles: readonly string[];
  statusFile: string;
}

export interface Argv {
  file: string;
  args: string[];
  argv0: string;
}

/** The command line that starts a container; pure. */
export function launchArgv(r: LaunchRequest): Argv {
  if (!r.useInit) return { file: r.file, args: [...r.args], argv0: r.argv0 };
  const init = initArgv({ statusFile: r.statusFile, uid: r.uid, gid: r.gid, procsFiles: r.procsFiles, file: r.file, argv0: r.argv0, args: r.args });
  if (r.joinInitPid !== undefined) {
    // --wd: entering a mount namespace resets the working directory to its root.
    return { file: NSENTER, args: [`--target=${r.joinInitPid}`, '--pid', '--mount', '--uts', '--ipc', `--wd=${r.cwd}`, '--', PERL, ...init], argv0: 'nsenter' };
  }
  if (r.newNamespaces) {
    // --kill-child: if unshare dies, so does the init and with it the namespace.
    return { file: UNSHARE, args: ['--pid', '--fork', '--mount-proc', '--uts', '--ipc', '--kill-child', '--', PERL, ...init], argv0: 'unshare' };
  }
  return { file: PERL, args: init, argv0: 'perl' };
}

export interface OuterExit {
  code: number | null;
  signal: NodeJS.Signals | number | null;
}

export interface Launched {
  /** The process we spawned (unshare, nsenter, perl or the command itself). */
  outerPid: number;
  exited: Promise<OuterExit>;
  child?: ChildProcess;
  terminal?: Terminal;
}

export async function spawnOuter(r: LaunchRequest): Promise<Launched> {
  const argv = launchArgv(r);
  // The init drops to uid/gid itself; without an init the process is started as the user.
  const ids = r.useInit ? {} : { ...(r.uid !== undefined ? { uid: r.uid } : {}), ...(r.gid !== undefined ? { gid: r.gid } : {}) };
  if (r.io.type === 'pty') {
    // The process module's terminal: output read to its real EOF, input with backpressure.
    // name: node-pty sets TERM from it, over the one in env.
    const terminal = spawnTerminal({ file: argv.file, args: argv.args, env: r.env, cwd: r.cwd, name: r.env.TERM ?? 'xterm', columns: r.io.columns, rows: r.io.rows, ...ids });
    const exited = new Promise<OuterExit>((resolve) => terminal.onExit(({ code, signal }) => resolve({ code, signal })));
    return { outerPid: terminal.pid, exited, terminal };
  }
  // Real pipes for the output (process/os-pipe.ts) where the addon is built: exec's output
  // costs both ends less than through child_process' socketpairs.
  const outputs = r.io.type === 'pipe' ? outputPipes() : undefined;
  const stdio = r.io.type === 'pipe' ? (['pipe', outputs?.stdout.writeFd ?? 'pipe', outputs?.stderr.writeFd ?? 'pipe'] as const) : ([r.io.stdin ?? 'ignore', r.io.stdout, r.io.stderr] as const);
  let child: ChildProcess;
  try {
    // detached: its own process group, so a terminal's ^C to the executor does not reach it.
    child = spawn(argv.file, argv.args, { argv0: argv.argv0, env: r.env, cwd: r.cwd, stdio: [...stdio], detached: true, ...ids });
  } catch (err) {
    outputs?.destroy();
    throw err;
  } finally {
    // The child has its copies: the pipe ends once the last process holding one is gone.
    outputs?.closeWriteEnds();
  }
  // The read ends stand where child_process puts its own, so readers need not tell them apart.
  if (outputs) Object.assign(child, { stdout: outputs.stdout.reader, stderr: outputs.stderr.reader });
  const exited = new Promise<OuterExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  if (r.io.type === 'pipe') holdOutput(child);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e) => {
      outputs?.destroy();
      reject(new LaunchError(`Failed to execute '${argv.file}': ${errnoOf(e)}`, { cause: e }));
    });
  });
  return { outerPid: child.pid!, exited, child };
}

/**
 * Node resumes a child's unread stdout and stderr when it exits (child_process' flushStdio,
 * which walks child.stdio): with nobody listening yet, their data is dropped. The caller
 * gets the child only after launch() resolved, some event-loop turns later, so a quick
 * command's output would be gone. Listing only stdin in child.stdio keeps the pipes as they
 * are: unread data waits in the kernel's pipe and the socket's buffer (bounded by its
 * high-water mark) until the caller reads child.stdout and child.stderr, which stay the
 * pipes themselves (no copy through another stream: exec throughput).
 */
function holdOutput(child: ChildProcess): void {
  (child as { stdio: unknown }).stdio = [child.stdin, null, null];
}

/** The parent pid in /proc/<pid>/stat, or undefined if the process is gone. */
export function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * The children of `pid` as the kernel lists them (/proc/<pid>/task/<pid>/children, with
 * CONFIG_PROC_CHILDREN); undefined where that file cannot be read (no such kernel
 * option, or the process is gone).
 */
export function listedChildren(pid: number): number[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter((p) => p !== '').map(Number);
  } catch {
    return undefined;
  }
}

/**
 * Candidates for the child of `outerPid`: pids are handed out in ascending order, so the
 * few right after it almost always hold the child; the whole of /proc only if `everything`.
 */
export function* childCandidates(outerPid: number, everything: boolean, window = 64): Generator<number> {
  for (let p = outerPid + 1; p <= outerPid + window; p++) yield p;
  if (everything) for (const n of readdirSync('/proc')) if (/^\d+$/.test(n)) yield Number(n);
}

/**
 * Polls between full scans of /proc. A scan reads the stat file of every process on the
 * host, synchronously: with 1,000 tasks running, one took ~20 ms, and 1,000 launches each
 * scanning every millisecond held the event loop for half a minute.
 */
const POLLS_PER_FULL_SCAN = 16;

/**
 * The host pid of the init unshare/nsenter forked: its child in the kernel's list, or,
 * where the kernel keeps none, found by parent pid. Not waiting for the init to join its
 * cgroups keeps launch fast; killing the init takes its namespace with it. Undefined if
 * everything already exited.
 */
export async function findInit(outerPid: number, gone: () => boolean, clock: Clock, timeoutMs = 5000, childrenOf: (pid: number) => number[] | undefined = listedChildren): Promise<number | undefined> {
  const deadline = clock.monotonic() + timeoutMs;
  for (let poll = 1; ; poll++) {
    const listed = childrenOf(outerPid);
    if (listed !== undefined) {
      if (listed.length > 0) return listed[0];
    } else {
      for (const pid of childCandidates(outerPid, poll % POLLS_PER_FULL_SCAN === 0)) if (parentPid(pid) === outerPid) return pid;
    }
    // A command that ends at once can take its init with it before we look: not an error,
    // its status file tells how it ended.
    if (gone()) return undefined;
    if (clock.monotonic() > deadline) throw new LaunchError(`The container's init (child of pid ${outerPid}) did not appear within ${timeoutMs} ms`);
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 1));
  }
}
