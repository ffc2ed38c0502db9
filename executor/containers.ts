// The executor's one Containerizer (containerizer/README.md "How to wire it", step 1): the
// isolation it may give is probed, not assumed, MESOS_SIDECAR_ISOLATION may override it,
// and one log line says what was chosen and why. Leftovers of a crashed run are removed
// before the first task starts.
import path from 'node:path';
import { EnvironmentError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { Containerizer, DEFAULT_CGROUP_ROOT, isCgroupName } from '../containerizer/containerizer.js';
import { chooseIsolation, describe, ISOLATION_VARIABLE, parseIsolationSetting, probeIsolationFacts } from '../containerizer/isolation.js';

/** Our parent cgroup's name below the executor's own; tests give each executor its own. */
export const CGROUP_ROOT_VARIABLE = 'MESOS_SIDECAR_CGROUP_ROOT';

/** MESOS_SIDECAR_CGROUP_ROOT: one cgroup name (no `/`, not `.`, `..`, `leaf` or `mesos`). */
export function parseCgroupRoot(value: string | undefined): string {
  const v = value?.trim() ?? '';
  if (v === '') return DEFAULT_CGROUP_ROOT;
  if (!isCgroupName(v, 64)) {
    throw new EnvironmentError(CGROUP_ROOT_VARIABLE, `'${v}' is not a cgroup name: expected 1-64 of [A-Za-z0-9_.-], not '.', '..', 'leaf' or 'mesos'`);
  }
  return v;
}

/**
 * Reads the two variables (an EnvironmentError names a bad one), probes, logs the choice and
 * recovers. Without root or privileges the choice is `none`: tasks run as plain process
 * groups, with no error.
 */
export async function startContainerizer(env: NodeJS.ProcessEnv, sandbox: string, logger: Logger): Promise<Containerizer> {
  const setting = parseIsolationSetting(env[ISOLATION_VARIABLE]);
  const cgroupRoot = parseCgroupRoot(env[CGROUP_ROOT_VARIABLE]);
  // `none` needs no probe (it forks unshare and writes test cgroups: milliseconds of start-up).
  const none = setting.mode === 'fixed' && describe(setting.isolation) === 'none';
  const { facts, hierarchy } = none ? { facts: { root: false }, hierarchy: undefined } : await probeIsolationFacts();
  const choice = chooseIsolation(facts, setting);
  logger.info({ isolation: describe(choice), reason: choice.reason, ...(choice.cgroups ? { cgroupRoot } : {}) }, 'container isolation');
  const containerizer = new Containerizer({
    isolation: { namespaces: choice.namespaces, cgroups: choice.cgroups },
    ...(hierarchy ? { hierarchy } : {}),
    cgroupRoot,
    // Inits' status files; in the sandbox so that they go with it.
    runtimeDir: path.join(sandbox, '.containers'),
  });
  const removed = await containerizer.recover();
  if (removed.length > 0) logger.warn({ cgroups: removed }, 'removed cgroups a previous run left behind (their processes killed)');
  return containerizer;
}
