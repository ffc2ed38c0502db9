// Authorization: which principal may make which call on which task. The file format is
// ours (docs/switchboard.md): per principal, allowed call types, task-id globs, and the
// users its sessions may run as besides their task's own.
import { SwitchboardConfigError } from './errors.js';

export interface AclRule {
  /** Call type names (`LAUNCH_NESTED_CONTAINER_SESSION`, ..., `GET_TASKS`) or `*`. */
  calls: string[];
  /** Task-id glob patterns (`*` any run of characters, `?` one character). */
  tasks: string[];
  /**
   * User-name globs a session may run as (`command.user`) when that is not its task's
   * user, after Mesos' `run_as` ACLs. Absent: only the task's own user.
   */
  users?: string[];
}

export interface Acl {
  principals: Record<string, AclRule>;
}

export const ACL_CALLS = [
  'LAUNCH_NESTED_CONTAINER_SESSION',
  'ATTACH_CONTAINER_INPUT',
  'ATTACH_CONTAINER_OUTPUT',
  'WAIT_NESTED_CONTAINER',
  'KILL_NESTED_CONTAINER',
  'REMOVE_NESTED_CONTAINER',
  'WAIT_CONTAINER',
  'KILL_CONTAINER',
  'REMOVE_CONTAINER',
  'GET_TASKS',
  // Lists the containers of the tasks it matches (the agent's VIEW_CONTAINER).
  'GET_CONTAINERS',
  // The agent's authorization action for its files API on a sandbox (/files/*).
  'ACCESS_SANDBOX',
  // Ours, not Mesos': holding a task's health kills during a session (exec --hold-checks).
  'HOLD_HEALTH_KILLS',
] as const;

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 's');
}

export function parseAcl(value: unknown, source: string): Acl {
  const fail = (what: string): never => {
    throw new SwitchboardConfigError(source, what);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('expected a JSON object with "principals"');
  const principals = (value as { principals?: unknown }).principals;
  if (typeof principals !== 'object' || principals === null || Array.isArray(principals)) fail('"principals" must be an object keyed by principal');
  // No prototype: a principal named `__proto__` or `constructor` is just a key here.
  const out: Acl = { principals: Object.create(null) as Record<string, AclRule> };
  for (const [name, rule] of Object.entries(principals as Record<string, unknown>)) {
    if (typeof rule !== 'object' || rule === null) fail(`principals.${name} must be an object`);
    const { calls, tasks, users } = rule as { calls?: unknown; tasks?: unknown; users?: unknown };
    if (!Array.isArray(calls) || !calls.every((c) => typeof c === 'string')) fail(`principals.${name}.calls must be an array of call type names`);
    if (!Array.isArray(tasks) || !tasks.every((t) => typeof t === 'string')) fail(`principals.${name}.tasks must be an array of task-id patterns`);
    for (const c of calls as string[]) {
      if (c !== '*' && !(ACL_CALLS as readonly string[]).includes(c)) fail(`principals.${name}.calls: unknown call type '${c}'`);
    }
    if (users !== undefined && (!Array.isArray(users) || !users.every((u) => typeof u === 'string' && u !== ''))) fail(`principals.${name}.users must be an array of user-name patterns`);
    out.principals[name] = { calls: calls as string[], tasks: tasks as string[], ...(users ? { users: users as string[] } : {}) };
  }
  return out;
}

/** The principal's own rule; never one inherited from Object.prototype (`toString`, ...). */
function ruleOf(acl: Acl, principal: string): AclRule | undefined {
  return Object.hasOwn(acl.principals, principal) ? acl.principals[principal] : undefined;
}

/** True when the principal is in the ACL and may make `call` on some task. */
export function allowsCall(acl: Acl, principal: string, call: string): boolean {
  const rule = ruleOf(acl, principal);
  return rule !== undefined && (rule.calls.includes('*') || rule.calls.includes(call));
}

/**
 * True when `principal` may make `call` on `taskId`. Without an ACL every authenticated
 * principal may do everything. `taskId` undefined (no task involved, or unknown
 * container) only matches the pattern `*`.
 */
export function authorized(acl: Acl | undefined, principal: string, call: string, taskId: string | undefined): boolean {
  if (!acl) return true;
  if (!allowsCall(acl, principal, call)) return false;
  const rule = ruleOf(acl, principal)!;
  if (taskId === undefined) return rule.tasks.includes('*');
  return rule.tasks.some((p) => globToRegExp(p).test(taskId));
}

/**
 * True when `principal` may run a session as `user` inside a task that runs as `taskUser`.
 * The task's own user needs no grant; any other needs a matching `users` pattern, with or
 * without an ACL file: without one nobody has a grant, so a token for a task is never a
 * way to another user (root included).
 */
export function mayRunAs(acl: Acl | undefined, principal: string, user: string, taskUser: string): boolean {
  if (user === taskUser) return true;
  const users = (acl && ruleOf(acl, principal)?.users) ?? [];
  return users.some((p) => globToRegExp(p).test(user));
}
