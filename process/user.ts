// Whom a process runs as: the user's passwd entry through the system's name service, the
// spawn ids, and the HOME and USER the process sees (upstream src/launcher/executor.cpp
// switches to CommandInfo.user the same way).
import { userInfo } from 'node:os';
import { execFileSync } from 'node:child_process';
import { LaunchError } from '../common/errors.js';

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

/** Spawn options for running as `user`: none when it is ourselves; a LaunchError when it is someone else and we are not root. */
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

/**
 * The spawn ids for running as `user`, with `env`'s HOME and USER set to that user's when
 * it is not ourselves, as a login would; the environment is left alone otherwise.
 */
export function runAs(user: string | undefined, env: Record<string, string>): { uid?: number; gid?: number } {
  const ids = userSpawnOptions(user);
  if (ids.uid === undefined) return {};
  if (ids.home) env.HOME = ids.home;
  env.USER = user!;
  return { uid: ids.uid, gid: ids.gid! };
}
