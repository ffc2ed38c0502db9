// The executor's decisions about containers as step tests (fake launcher, ManualClock,
// test/helpers/step-executor.ts): an exit with a memory limitation, a cgroup the kernel
// refused, the init's launch failure, resources refused at the edge, kills going through
// the launched handle. Each test names its input and the update it must cause.
import t from 'tap';
import { CgroupError } from '../../containerizer/errors.js';
import type { ContainerLimitation } from '../../containerizer/memory-limitation.js';
import { ISOLATION_LABEL } from '../../contracts/task-view.js';
import { killPolicy, scalarResource, shellTask } from '../helpers/tasks.js';
import { startStepExecutor } from '../helpers/step-executor.js';

const OOM: ContainerLimitation = {
  resources: [{ name: 'mem', type: 'SCALAR', scalar: { value: 48 }, role: '*' }],
  message: 'Memory limit exceeded: Requested: 48MB Maximum Used: 48MB\n\nMEMORY STATISTICS: \ntotal_rss 50331648\n\n',
  reason: 'REASON_CONTAINER_LIMITATION_MEMORY',
};

t.test('input: a group member exits with a memory limitation → TASK_FAILED, reason, limitation, Mesos\' message; its siblings are killed', async (t) => {
  const h = await startStepExecutor();
  await h.launchGroup([shellTask('hog', 'x'), shellTask('web', 'y', { kill_policy: killPolicy(1000) })]);
  await h.exit('hog', { signal: 9, limitation: OOM });
  const hog = h.terminal('hog')!;
  t.equal(hog.state, 'TASK_FAILED');
  t.equal(hog.reason, 'REASON_CONTAINER_LIMITATION_MEMORY');
  t.same(hog.limitation, { resources: OOM.resources });
  t.equal(hog.message, `Command terminated with signal Killed: ${OOM.message}`);
  t.same(h.signals.map((s) => s.signal), ['SIGTERM'], "the sibling's command got SIGTERM");
  t.equal(h.terminal('web')!.state, 'TASK_KILLED');
  t.equal(h.terminal('web')!.message, "Command terminated with signal Terminated (killed because task 'hog' of its group ended)");
  t.notOk('limitation' in h.terminal('web')!);
});

t.test('input: a KILL is under way when the limitation comes → TASK_FAILED with the limitation, not TASK_KILLED', async (t) => {
  const h = await startStepExecutor();
  await h.launch(shellTask('slow', 'x', { kill_policy: killPolicy(5000) }), 'ignores-sigterm');
  await h.kill('slow');
  await h.exit('slow', { signal: 9, limitation: OOM });
  t.same(h.states('slow'), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_FAILED']);
  t.equal(h.terminal('slow')!.reason, 'REASON_CONTAINER_LIMITATION_MEMORY');
});

t.test('input: the cgroup cannot be created (CgroupError) → TASK_FAILED naming path and errno, no reason; the group goes down', async (t) => {
  const h = await startStepExecutor();
  h.launcher.failures.set('a', new CgroupError('create', '/sys/fs/cgroup/memory/mesos-sidecar/c-a', 'ENOSPC'));
  await h.launchGroup([shellTask('a', 'x'), shellTask('b', 'y')]);
  const a = h.terminal('a')!;
  t.equal(a.state, 'TASK_FAILED');
  t.equal(a.message, "Failed to create cgroup '/sys/fs/cgroup/memory/mesos-sidecar/c-a': ENOSPC");
  t.notOk('reason' in a, 'not the TaskInfo\'s fault');
  t.equal(h.terminal('b')!.state, 'TASK_KILLED', 'its sibling is killed by the group policy');
});

t.test("input: the init could not exec the command → TASK_FAILED in the init's words", async (t) => {
  const h = await startStepExecutor();
  await h.launch(shellTask('noexec', 'x'));
  await h.exit('noexec', { code: 127, launchFailure: "cannot execute '/bin/sh': Permission denied" });
  t.equal(h.terminal('noexec')!.state, 'TASK_FAILED');
  t.equal(h.terminal('noexec')!.message, "Failed to launch container: cannot execute '/bin/sh': Permission denied");
});

t.test('input: resources that make no sense → TASK_ERROR naming the field; nothing launched', async (t) => {
  const h = await startStepExecutor();
  await h.launch(shellTask('neg', 'x', { resources: [scalarResource('mem', -64)] }));
  t.same(h.states('neg'), ['TASK_ERROR']);
  t.equal(h.terminal('neg')!.message, "Invalid resource 'TaskInfo.resources.mem': must not be negative, got -64");
  t.equal(h.launcher.processes.size, 0, 'the launcher was never asked');
});

t.test('the launcher gets the task\'s container id and parsed resources; every update carries the isolation label', async (t) => {
  const h = await startStepExecutor();
  await h.launch(shellTask('r', 'x', { resources: [scalarResource('cpus', 0.5), scalarResource('mem', 64)], limits: { mem: { value: 128 } } }));
  const spec = h.launcher.processes.get('r')!.spec;
  t.same(spec.resources, { limits: { mem: 128 }, cpus: 0.5, mem: 64 });
  t.equal(spec.containerId, h.terminal('r')!.container_status!.container_id!.value);
  await h.exit('r', { code: 0 });
  for (const s of h.agent.updates) t.same(s.labels?.labels, [{ key: ISOLATION_LABEL, value: 'none' }], `${s.state}: the isolation label`);
});
