// A task whose cgroup cannot be created ends TASK_FAILED naming the path and the errno, and
// leaves nothing behind: an in-process executor over the real wire (both encodings) whose
// Containerizer runs on a fake cgroupfs (test/containerizer/fake-cgroupfs.ts) where the
// memory hierarchy refuses the task's mkdir with EACCES after freezer and cpu accepted it.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Containerizer } from '../../containerizer/containerizer.js';
import { openHierarchy } from '../../containerizer/hierarchy.js';
import { ENCODINGS, shellTask, startInProcessExecutor, uniqueId } from '../helpers/tasks.js';
import { fakeCgroupFs } from '../containerizer/fake-cgroupfs.js';

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: a cgroup that cannot be created → TASK_FAILED naming path and errno; no cgroup, file or process left`, async (t) => {
    const fake = fakeCgroupFs(t);
    const hierarchy = openHierarchy(fake.fs, fake.v1Layout(['freezer', 'cpu', 'memory']))!;
    const runtimeDir = mkdtempSync(path.join(tmpdir(), 'ctr-faults-'));
    t.teardown(() => rmSync(runtimeDir, { recursive: true, force: true }));
    const containerizer = new Containerizer({ isolation: { namespaces: false, cgroups: true }, hierarchy, runtimeDir });
    hierarchy.create('mesos-sidecar');
    fake.readOnly.add(`${fake.root}/memory/mesos-sidecar`);
    const before = fake.dirs();
    const { agent } = await startInProcessExecutor(t, encoding, {}, { containerizer });
    const id = uniqueId('nocgroup');
    agent.launch(shellTask(id, 'echo ran'));
    const terminal = await agent.waitForTerminal(id);
    const cid = terminal.container_status!.container_id!.value;
    t.equal(terminal.state, 'TASK_FAILED');
    t.equal(terminal.message, `Failed to create cgroup '${fake.root}/memory/mesos-sidecar/${cid}': EACCES`, 'the path and the errno');
    t.same(fake.dirs(), before, "the freezer and cpu cgroups made for it are removed again");
    t.equal(containerizer.containers.size, 0, 'no container is kept');
    t.equal(readFileSync(path.join(agent.sandbox, 'tasks', id, 'stdout'), 'utf8'), '', 'the command never ran');
  });
}
