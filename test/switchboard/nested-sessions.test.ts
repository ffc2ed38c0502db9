// Exec sessions nested in real task containers, through the wire in both encodings: the
// session joins its task's namespaces (its `ps` shows the task's processes and nothing
// else), its cgroup is <task>/mesos/<session>, KILL and the session's end take every
// process of it along (a `setsid` child too), WAIT reports the task's memory limit as the
// agent does, and a task container that is gone refuses new sessions. Needs root,
// namespaces and writable cgroups: without them these tests fail and say why.
import t from 'tap';
import { codecs, type agent, type mesos } from '../../proto/codec.js';
import { CGROUP_SEPARATOR } from '../../containerizer/containerizer.js';
import { collect, ENCODINGS, launchCall, processGone, sessionId, sessionOpener, startContainerFixture, until, type ContainerFixture, type TestTask } from './harness.js';

type Encoding = (typeof ENCODINGS)[number];

/** The cgroup (relative to the executor's own) a session of `task` gets. */
function sessionCgroup(task: TestTask, id: mesos.ContainerID): string {
  return `${task.container!.cgroup}/${CGROUP_SEPARATOR}/${id.value}`;
}

/** WAIT_NESTED_CONTAINER or WAIT_CONTAINER, decoded whole (the client's wait() gives only exit_status). */
async function waitFull(fx: ContainerFixture, id: mesos.ContainerID, type: 'WAIT_CONTAINER' | 'WAIT_NESTED_CONTAINER', encoding: Encoding): Promise<agent.Response.WaitContainer> {
  const call: agent.Call = type === 'WAIT_CONTAINER' ? { type, wait_container: { container_id: id } } : { type, wait_nested_container: { container_id: id } };
  const res = await fx.client.call(call, encoding);
  if (res.status !== 200) throw new Error(`${type} answered ${res.status}: ${res.body}`);
  const response = codecs.agent.Response.decode(res.body, encoding);
  return (type === 'WAIT_CONTAINER' ? response.wait_container : response.wait_nested_container)!;
}

const bodyOf = (r: object): string => ('body' in r ? String(r.body) : '<a stream>');

// Processes seen in any test: none may be left once the fixture is gone.
const seenPids = new Set<number>();

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: sessions nested in a real task container`, async (t) => {
    const fx = await startContainerFixture(t);
    if (!fx) return;
    const open = sessionOpener(fx, encoding);
    const task = await fx.containerTask('nest', 'sleep 1000 & exec sleep 2000');
    await until(() => fx.hierarchy.pids(task.container!.cgroup!).length >= 3, "the task's init and both sleeps");

    await t.test("ps in a session shows the task's processes and nothing else", async (t) => {
      const id = sessionId(task);
      const s = await open(id, { value: 'ps -e -o pid=,ppid=,args=' });
      const out = await collect(s.records);
      t.equal(out.stderr.toString(), '');
      const rows = out.stdout.toString().trim().split('\n').map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)?.slice(1) ?? [l, '', '']);
      const args = rows.map((r) => r[2]);
      t.ok(args.includes('sleep 1000') && args.includes('sleep 2000'), `both of the task's sleeps are there: ${args.join(' | ')}`);
      t.same(rows.find((r) => r[0] === '1')?.[2], 'mesos-sidecar-init', "PID 1 is the task's init");
      const foreign = args.filter((a) => !/^(mesos-sidecar-init|sleep 1000|sleep 2000|(sh -c )?ps -e -o pid=,ppid=,args=)$/.test(a!));
      t.same(foreign, [], 'only the task, the session init and ps: nothing of the host');
      t.equal(await fx.client.wait(id, 'WAIT_NESTED_CONTAINER', encoding), 0);
    });

    await t.test("the session's cgroup is <task>/mesos/<session>, and gone after it ended", async (t) => {
      const id = sessionId(task);
      const cgroup = sessionCgroup(task, id);
      const s = await open(id, { value: 'cat /proc/self/cgroup; read go' });
      let text = '';
      const input = fx.client.openInput(id, encoding);
      const out = collect(s.records, (so) => (text = so));
      await until(() => text.includes('\n'), 'the session to print its cgroups');
      t.ok(fx.hierarchy.exists(cgroup), `${cgroup} exists while the session runs`);
      const pids = fx.hierarchy.pids(cgroup);
      pids.forEach((p) => seenPids.add(p));
      t.ok(pids.length >= 2, `the session's init and shell are in it: ${pids}`);
      const taskPids = fx.hierarchy.pids(task.container!.cgroup!);
      t.ok(pids.every((p) => taskPids.includes(p)), "the session's processes count in the task's cgroup too");
      t.match(text, new RegExp(`${fx.root}/${task.containerId.value}/mesos/${id.value}\\n`), '/proc/self/cgroup names the nested path');
      await input.send({ type: 'DATA', data: { type: 'STDIN', data: Buffer.from('\n') } });
      await out;
      input.end();
      await input.response;
      t.equal(await fx.client.wait(id, 'WAIT_CONTAINER', encoding), 0);
      t.notOk(fx.hierarchy.exists(cgroup), 'the cgroup is removed');
      t.same(pids.filter((p) => !processGone(p)), [], 'no process of the session is left');
    });

    for (const signal of [15, 9]) {
      await t.test(`KILL_NESTED_CONTAINER ${signal}: the session is gone with its children, a setsid child too`, async (t) => {
        const id = sessionId(task);
        const cgroup = sessionCgroup(task, id);
        // The shell traps nothing: SIGTERM ends it, and the containerizer destroys the rest.
        const s = await open(id, { value: "setsid sh -c 'exec sleep 3000' & sleep 1000 & echo started; wait" });
        let text = '';
        const out = collect(s.records, (so) => (text = so));
        await until(() => text.includes('started') && fx.hierarchy.pids(cgroup).length >= 4, 'the session with its two sleeps');
        const pids = fx.hierarchy.pids(cgroup);
        pids.forEach((p) => seenPids.add(p));
        const killed = await fx.client.call({ type: 'KILL_NESTED_CONTAINER', kill_nested_container: { container_id: id, signal } }, encoding);
        t.equal(killed.status, 200);
        await out;
        const wait = await waitFull(fx, id, 'WAIT_NESTED_CONTAINER', encoding);
        t.same(wait, { exit_status: signal }, 'killed by the signal; no state, reason or limitation');
        t.same(pids.filter((p) => !processGone(p)), [], 'every process of the session is gone, the setsid one included');
        t.notOk(fx.hierarchy.exists(cgroup), 'its cgroup is removed');
        t.notOk(task.terminated, 'the task runs on');
      });
    }

    await t.test("ids Mesos allows but a cgroup name should not, or that another container of the executor has, still get a nested session", async (t) => {
      const other = await fx.containerTask(`other-${encoding.length}`, 'exec sleep 1000');
      const odd = { value: `odd:${process.pid}-${encoding.length}@x+y`, parent: task.containerId };
      // The containerizer's names are flat: this value is the other task's container.
      const twin = { value: other.containerId.value, parent: task.containerId };
      for (const id of [odd, twin]) {
        const s = await open(id, { value: 'cat /proc/self/cgroup' });
        const out = await collect(s.records);
        t.match(out.stdout.toString(), new RegExp(`${fx.root}/${task.containerId.value}/mesos/session-[0-9a-f]{32}\n`), `${id.value}: nested under the task, named by a digest`);
        t.equal(await fx.client.wait(id, 'WAIT_NESTED_CONTAINER', encoding), 0);
      }
      other.kill();
      await other.exited;
    });

    await t.test('a dropped connection destroys the session container', async (t) => {
      const id = sessionId(task);
      const cgroup = sessionCgroup(task, id);
      const s = await open(id, { value: "setsid sh -c 'exec sleep 3000' & echo started; exec sleep 1000" });
      let text = '';
      void collect(s.records, (so) => (text = so)).catch(() => undefined);
      await until(() => text.includes('started') && fx.hierarchy.pids(cgroup).length >= 3, 'the session with its sleeps');
      const pids = fx.hierarchy.pids(cgroup);
      pids.forEach((p) => seenPids.add(p));
      s.destroy();
      t.equal(await fx.client.wait(id, 'WAIT_CONTAINER', encoding), 9, 'SIGKILLed');
      t.same(pids.filter((p) => !processGone(p)), [], 'nothing of it is left');
      t.notOk(fx.hierarchy.exists(cgroup));
    });
  });

  t.test(`${encoding}: a session that allocates past its task's mem ends as the agent reports a memory limitation`, async (t) => {
    const fx = await startContainerFixture(t);
    if (!fx) return;
    const task = await fx.containerTask('oom', 'exec sleep 1000', { cpus: 0.5, mem: 64, limits: {} });
    const id = sessionId(task);
    // 256 MiB of real pages (a repeated string is written, not just mapped) against 64 MB.
    const s = await sessionOpener(fx, encoding)(id, { value: 'exec perl -e \'$x = "x" x (256 << 20); sleep 100\'' });
    await collect(s.records);
    const nested = await waitFull(fx, id, 'WAIT_NESTED_CONTAINER', encoding);
    t.equal(nested.exit_status, 9, 'the kernel SIGKILLed the allocation');
    t.equal(nested.state, 'TASK_FAILED');
    t.equal(nested.reason, 'REASON_CONTAINER_LIMITATION_MEMORY');
    t.match(nested.limitation, { resources: [{ name: 'mem', type: 'SCALAR', role: '*' }] });
    t.ok((nested.limitation?.resources?.[0]?.scalar?.value ?? 0) > 0, 'the peak usage in MB');
    t.match(nested.message, /^Memory limit exceeded: Requested: 64MB Maximum Used: \d+(B|KB|MB)\n\nMEMORY STATISTICS: \n/);
    t.same(await waitFull(fx, id, 'WAIT_CONTAINER', encoding), nested, 'WAIT_CONTAINER answers the same');
    // Mesos destroys the limited container, the task with it.
    await task.exited;
    t.ok(task.terminated, "the task's container is destroyed for its limit");
    t.notOk(fx.hierarchy.exists(task.container!.cgroup!), "the task's cgroup is removed");
  });

  t.test(`${encoding}: a session into a task whose container is gone is refused as the agent refuses it`, async (t) => {
    const fx = await startContainerFixture(t);
    if (!fx) return;
    const task = await fx.containerTask('gone', 'exec sleep 1000');
    const parent = `${fx.registry.executorContainerId().value}.${task.containerId.value}`;
    await task.container!.destroy();
    await task.exited;
    const ended = sessionId(task);
    const r1 = await fx.client.openOutput(launchCall(ended, { value: 'echo hi' }), { encoding });
    t.same([r1.status, bodyOf(r1)], [400, `Parent container ${parent} is in 'DESTROYING' state`], 'an ended task');
    // The executor has not seen the end yet; the containerizer has forgotten the container.
    task.terminated = false;
    const early = sessionId(task);
    const r2 = await fx.client.openOutput(launchCall(early, { value: 'echo hi' }), { encoding });
    t.same([r2.status, bodyOf(r2)], [400, `Parent container ${parent} does not exist`], 'a container already gone');
    for (const id of [ended, early]) {
      const w = await fx.client.call({ type: 'WAIT_CONTAINER', wait_container: { container_id: id } }, encoding);
      t.equal(w.status, 404, 'no session was kept');
    }
    t.equal(fx.containerizer.containers.size, 0, 'no container was started');
    t.same(fx.hierarchy.children(fx.root), [], 'no cgroup was created');
  });
}

// Each fixture's teardown (testContainerizer) fails if its cgroup parent or a process of it is left.
t.test('nothing is left: no process seen in a session', async (t) => {
  t.ok(seenPids.size > 0, 'the tests above saw session processes');
  t.same([...seenPids].filter((p) => !processGone(p)), [], 'every one of them is gone');
});
