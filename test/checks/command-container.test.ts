// COMMAND checks in the task's container (TaskCheckContext.container): the check command is
// a container nested in the task's, so it sees the task's pid namespace and runs in its
// cgroup tree; abort (timeout, stop) destroys it, and nothing is left after, by pid and by
// cgroup path. Real containers: needs root and writable cgroups (fails, never skips,
// without them); cgroups only below <own cgroup>/mesos-sidecar-test-<pid>/.
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemClock } from '../../common/clock.js';
import { probeCommand } from '../../checks/command-probe.js';
import { parseCommandInfo, READINESS_CHECK_LABEL } from '../../checks/definitions.js';
import { createTaskCheckFactory } from '../../checks/index.js';
import { Containerizer, type Container } from '../../containerizer/containerizer.js';
import { probeIsolationFacts } from '../../containerizer/isolation.js';
import type { CgroupHierarchy } from '../../containerizer/hierarchy.js';
import { processGone, requireRoot, until } from '../helpers/wait.js';
import { recordingContext, task } from './helpers.js';

const ROOT = `mesos-sidecar-test-${process.pid}`;
const ENV = { PATH: '/usr/bin:/bin' };
/** The init of a container's pid namespace is PID 1; on the host, PID 1 is something else. */
const IN_TASK_PID_NAMESPACE = 'test "$(cat /proc/1/comm)" = mesos-sidecar-i';

const comm = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

/** A containerizer on the test cgroup root and a running task container (`exec sleep 300`). */
async function taskContainer(t: Test, id: string): Promise<{ c: Containerizer; h: CgroupHierarchy; ctr: Container }> {
  const { hierarchy } = await probeIsolationFacts();
  if (!hierarchy) throw new Error('no writable cgroup hierarchy: this test needs cgroups v1 or v2');
  const dir = mkdtempSync(path.join(tmpdir(), 'check-ctr-'));
  const c = new Containerizer({ isolation: { namespaces: true, cgroups: true }, hierarchy, cgroupRoot: ROOT, runtimeDir: path.join(dir, 'run'), memoryWatchMs: 0 });
  t.teardown(async () => {
    await c.shutdown();
    rmSync(dir, { recursive: true, force: true });
    hierarchy.remove(ROOT);
  });
  const ctr = await c.launch({ id, file: '/bin/sh', args: ['-c', 'exec sleep 300'], argv0: 'sh', env: ENV, cwd: '/tmp', io: { type: 'pipe' }, resources: { cpus: 0.5, mem: 64, limits: {} } });
  await until(() => hierarchy.pids(ctr.cgroup!).some((p) => comm(p) === 'sleep'), "the task's sleep running");
  return { c, h: hierarchy, ctr };
}

t.test('a COMMAND probe given the task container runs nested in it: its pid namespace, its cgroup tree; nothing left after', async (t) => {
  if (!requireRoot(t, 'COMMAND checks in the task container')) return;
  const { c, h, ctr } = await taskContainer(t, 'check-task');
  const script = `${IN_TASK_PID_NAMESPACE} || exit 3; cat /proc/self/cgroup; for p in /proc/[0-9]*; do cat $p/comm; done`;
  const spawned: number[] = [];
  const outcome = await probeCommand(parseCommandInfo('check.command', { value: script }), {
    signal: new AbortController().signal,
    environment: ENV,
    workingDirectory: '/tmp',
    container: { containerizer: c, parent: ctr },
    onSpawn: (pid) => spawned.push(pid),
  });
  t.equal(outcome.kind, 'result');
  if (outcome.kind !== 'result' || outcome.result.type !== 'COMMAND') return;
  t.equal(outcome.result.exitCode, 0, "PID 1 of the check's pid namespace is the task's init");
  const lines = outcome.result.outputTail.trim().split('\n');
  t.ok(lines.includes('sleep'), "the task's sleep is visible to the check");
  t.notOk(lines.includes('node'), 'the executor (host) is not visible');
  t.ok(lines.some((l) => l.includes(`/${ctr.cgroup}/mesos/`)), `the check runs in a cgroup below the task's (${ctr.cgroup}/mesos/…)`);
  t.equal(spawned.length, 1);
  t.ok(processGone(spawned[0]!), "the check container's init is gone");
  t.same(h.children(`${ctr.cgroup}/mesos`), [], "no check cgroup left below the task's");
  t.same([...c.containers.keys()], ['check-task'], 'only the task container is live');
  t.ok(h.pids(ctr.cgroup!).some((p) => comm(p) === 'sleep'), 'the task itself still runs');
});

t.test('an aborted probe (timeout, stop) destroys the nested container; the task keeps running', async (t) => {
  if (!requireRoot(t, 'COMMAND checks in the task container')) return;
  const { c, h, ctr } = await taskContainer(t, 'check-abort');
  const abort = new AbortController();
  const spawned: number[] = [];
  const probe = probeCommand(parseCommandInfo('check.command', { value: 'sleep 300; echo never' }), {
    signal: abort.signal,
    environment: ENV,
    workingDirectory: '/tmp',
    container: { containerizer: c, parent: ctr },
    onSpawn: (pid) => spawned.push(pid),
  });
  await until(() => spawned.length === 1 && h.children(`${ctr.cgroup}/mesos`).length === 1 && h.pids(`${ctr.cgroup}/mesos/${h.children(`${ctr.cgroup}/mesos`)[0]}`).some((p) => comm(p) === 'sleep'), "the check's sleep running in its cgroup");
  abort.abort();
  const outcome = await probe;
  t.match(outcome, { kind: 'error', code: 'ABORTED' });
  t.ok(processGone(spawned[0]!), "the check container's init is gone");
  t.same(h.children(`${ctr.cgroup}/mesos`), [], 'its cgroup is removed');
  t.ok(h.pids(ctr.cgroup!).some((p) => comm(p) === 'sleep'), 'the task itself still runs');
});

t.test('health, general and readiness COMMAND checks all run in the task container when the context names it', async (t) => {
  if (!requireRoot(t, 'COMMAND checks in the task container')) return;
  const { c, h, ctr } = await taskContainer(t, 'check-kinds');
  const command = { value: IN_TASK_PID_NAMESPACE };
  const info = task({
    health_check: { type: 'COMMAND', command, delay_seconds: 0, interval_seconds: 60, grace_period_seconds: 0 },
    check: { type: 'COMMAND', command: { command }, delay_seconds: 0, interval_seconds: 60 },
    labels: { labels: [{ key: READINESS_CHECK_LABEL, value: JSON.stringify({ protocol: 'COMMAND', command, intervalSeconds: 60, timeoutSeconds: 30 }) }] },
  });
  const { context, definitions, reports } = recordingContext(systemClock, info, { container: { containerizer: c, parent: ctr } });
  const runner = createTaskCheckFactory({ clock: systemClock }).create(definitions, context)!;
  t.teardown(() => runner.stop());
  await until(() => ['health', 'check', 'readiness'].every((k) => reports.some((r) => r.kind === k)), 'a report from each check', 20_000);
  // Run on the host, each would see another PID 1 and fail (exit 1).
  t.match(reports.find((r) => r.kind === 'health'), { healthy: true });
  t.match(reports.find((r) => r.kind === 'check'), { status: { type: 'COMMAND', command: { exit_code: 0 } } });
  t.match(reports.find((r) => r.kind === 'readiness'), { labels: { 'mesos-sidecar.readiness/ready': 'true' } });
  await until(() => h.children(`${ctr.cgroup}/mesos`).length === 0, 'every check container gone');
});
