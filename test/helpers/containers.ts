// A real Containerizer for tests outside test/containerizer: namespaces and cgroups under
// <own cgroup>/mesos-sidecar-test-<pid>-<n>/ (containerizer/README.md), shut down in
// teardown, which then checks by path that no cgroup of it is left and by pid that none
// of its processes is.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { Containerizer } from '../../containerizer/containerizer.js';
import { chooseIsolation, probeIsolationFacts } from '../../containerizer/isolation.js';
import type { CgroupHierarchy } from '../../containerizer/hierarchy.js';
import { processGone, requireRoot } from './wait.js';

let roots = 0;

/** undefined (and the test failed, saying why) without root, namespaces or writable cgroups. */
export async function testContainerizer(t: Test, purpose = 'a real container (namespaces, cgroups)'): Promise<{ containerizer: Containerizer; hierarchy: CgroupHierarchy; root: string } | undefined> {
  if (!requireRoot(t, purpose)) return undefined;
  const { facts, hierarchy } = await probeIsolationFacts();
  const choice = chooseIsolation(facts, { mode: 'auto' });
  if (!choice.namespaces || !choice.cgroups || !hierarchy) {
    t.fail(`${purpose} needs namespaces and writable cgroups: ${choice.reason}`);
    return undefined;
  }
  const root = `mesos-sidecar-test-${process.pid}-${++roots}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'ctr-test-'));
  const containerizer = new Containerizer({ isolation: choice, hierarchy, cgroupRoot: root, runtimeDir: path.join(dir, 'run'), memoryWatchMs: 50 });
  t.teardown(async () => {
    const pids = hierarchy.exists(root) ? hierarchy.pids(root) : [];
    await containerizer.shutdown();
    rmSync(dir, { recursive: true, force: true });
    if (hierarchy.exists(root)) throw new Error(`cgroup ${root} is left behind: ${hierarchy.dirs(root).join(', ')}`);
    // A pid namespace's init finishes exiting a moment after its cgroup is gone (the kernel
    // waits for the namespace's last zombies to be reaped): bounded, then named if it stays.
    const deadline = Date.now() + 5000;
    while (pids.some((p) => !processGone(p)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const alive = pids.filter((p) => !processGone(p));
    if (alive.length > 0) throw new Error(`processes of ${root} are left behind: ${alive.join(', ')}`);
  });
  return { containerizer, hierarchy, root };
}
