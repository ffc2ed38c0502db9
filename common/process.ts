// Small process facts shared by tasks, command checks and exec sessions.
import { constants, userInfo } from 'node:os';
import { execFileSync } from 'node:child_process';
import { LaunchError } from './errors.js';

/** Sends `signal` to every process in the group led by `pid`; false if the group is gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (err) {
    // ESRCH: the group has no member left, which is what the caller wanted anyway.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** True while any process of the group led by `pid` exists. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function signalNumber(signal: NodeJS.Signals | number | null | undefined): number | undefined {
  if (signal === null || signal === undefined) return undefined;
  if (typeof signal === 'number') return signal;
  return constants.signals[signal];
}

export function signalName(signal: number): string {
  for (const [name, n] of Object.entries(constants.signals)) if (n === signal) return name;
  return `signal ${signal}`;
}

/** The raw wait(2) status Mesos reports in `exit_status`: code << 8, or the signal number. */
export function rawWaitStatus(exitCode: number | null | undefined, signal: NodeJS.Signals | number | null | undefined): number | undefined {
  const sig = signalNumber(signal);
  if (sig !== undefined && sig !== 0) return sig;
  if (exitCode === null || exitCode === undefined) return undefined;
  return (exitCode & 0xff) << 8;
}

// strsignal(3) wording, which Mesos puts into "Command terminated with signal <...>".
const STRSIGNAL: Record<string, string> = {
  SIGHUP: 'Hangup', SIGINT: 'Interrupt', SIGQUIT: 'Quit', SIGILL: 'Illegal instruction',
  SIGTRAP: 'Trace/breakpoint trap', SIGABRT: 'Aborted', SIGBUS: 'Bus error',
  SIGFPE: 'Floating point exception', SIGKILL: 'Killed', SIGUSR1: 'User defined signal 1',
  SIGSEGV: 'Segmentation fault', SIGUSR2: 'User defined signal 2', SIGPIPE: 'Broken pipe',
  SIGALRM: 'Alarm clock', SIGTERM: 'Terminated', SIGCHLD: 'Child exited', SIGCONT: 'Continued',
  SIGSTOP: 'Stopped (signal)', SIGTSTP: 'Stopped', SIGXCPU: 'CPU time limit exceeded',
  SIGXFSZ: 'File size limit exceeded', SIGSYS: 'Bad system call',
};

/** "exited with status 1" / "terminated with signal Killed", the wording of Mesos' executors. */
export function describeTermination(exitCode: number | null | undefined, signal: NodeJS.Signals | number | null | undefined): string {
  const sig = signalNumber(signal);
  if (sig !== undefined && sig !== 0) {
    const name = signalName(sig);
    return `terminated with signal ${STRSIGNAL[name] ?? name}`;
  }
  return `exited with status ${exitCode ?? 'unknown'}`;
}

export interface ResolvedUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/**
 * One passwd entry by name through the system's name service (files, LDAP, SSSD: whatever
 * nsswitch.conf says, as Mesos' getpwnam(3) sees it); undefined when there is no such user.
 * Throws LaunchError when the lookup itself fails.
 */
export type PasswdLookup = (name: string) => string | undefined;

/** getent(1) exits 2 when the key is not in the database. */
const GETENT_NOT_FOUND = 2;
// A name service that hangs (an unreachable LDAP server) must not hang a launch.
const GETENT_TIMEOUT_MS = 10_000;
const GETENT_MAX_OUTPUT = 64 * 1024;

export const getentPasswd: PasswdLookup = (name) => {
  try {
    return execFileSync('getent', ['passwd', '--', name], { encoding: 'utf8', timeout: GETENT_TIMEOUT_MS, maxBuffer: GETENT_MAX_OUTPUT, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { status?: number | null; signal?: NodeJS.Signals | null };
    if (e.status === GETENT_NOT_FOUND) return undefined;
    const why = e.code === 'ENOENT' ? 'getent is not installed' : e.code === 'ETIMEDOUT' || e.signal ? `getent did not answer within ${GETENT_TIMEOUT_MS / 1000}s` : (e.message.split('\n')[0] ?? String(err));
    throw new LaunchError(`Failed to get user information for '${name}': ${why}`, { cause: err });
  }
};

/** The entry for `name` in getent's passwd output (name:passwd:uid:gid:gecos:home:shell). */
export function parsePasswdEntry(name: string, text: string): ResolvedUser | undefined {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] !== name || f.length < 7) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (f[2] === '' || f[3] === '' || !Number.isInteger(uid) || !Number.isInteger(gid) || uid < 0 || gid < 0) {
      throw new LaunchError(`Failed to get user information for '${name}': malformed passwd entry ${JSON.stringify(line)}`);
    }
    return { name, uid, gid, home: f[5]!, shell: f[6]! };
  }
  return undefined;
}

/**
 * Looks a user up through the name service. Only meaningful when we run as root; otherwise
 * the process can only run as ourselves, which Mesos also requires. Nothing is cached: an
 * executor lives for days and the directory may change under it.
 */
export function resolveUser(name: string, lookup: PasswdLookup = getentPasswd): ResolvedUser {
  const text = lookup(name);
  const user = text === undefined ? undefined : parsePasswdEntry(name, text);
  if (!user) throw new LaunchError(`Failed to get user information for '${name}': no such user`);
  return user;
}

/** Spawn options for running as `user`: none when it is ourselves or we are not root. */
export function userSpawnOptions(user: string | undefined): { uid?: number; gid?: number; home?: string } {
  if (!user) return {};
  const me = userInfo();
  if (user === me.username) return {};
  const resolved = resolveUser(user);
  if (process.getuid?.() !== 0) {
    throw new LaunchError(`cannot run as user '${user}': the executor runs as '${me.username}', not root`);
  }
  return { uid: resolved.uid, gid: resolved.gid, home: resolved.home };
}
