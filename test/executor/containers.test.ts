// Tasks in real containers, through the real wire: the executor as a child process of the
// agent emulator, in both encodings, with real pid/mount/UTS/IPC namespaces and v1/v2
// cgroups under a test root (MESOS_SIDECAR_CGROUP_ROOT=mesos-sidecar-test-<pid>-<n>).
// Needs root, namespaces and writable cgroups: without them the first test fails and says
// what is missing. After every test, neither the test root's cgroups nor any process of
// the task remain (checked by path and pid).
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chooseIsolation, probeIsolationFacts } from '../../containerizer/isolation.js';
import type { mesos } from '../../proto/codec.js';
import { ISOLATION_LABEL } from '../../contracts/task-view.js';
import { AgentEmulator } from '../../agent/emulator.js';
import { ENCODINGS, killPolicy, logLines, quietLogger, scalarResource, shellTask, startExecutor, uniqueId, type Encoding, type Harness } from '../helpers/tasks.js';
import { processGone, requireRoot, until } from '../helpers/wait.js';

const { facts, hierarchy } = await probeIsolationFacts();
const choice = chooseIsolation(facts, { mode: 'auto' });
let roots = 0;

const scalar = scalarResource;
const label = (s: mesos.TaskStatus, key: string): string | undefined => s.labels?.labels?.find((l) => l.key === key)?.value;
const containerOf = (agent: AgentEmulator, taskId: string): string => agent.updates.find((u) => u.status.task_id.value === taskId)!.status.container_status!.container_id!.value;
const stdoutOf = (agent: AgentEmulator, taskId: string): string => readFileSync(path.join(agent.sandbox, 'tasks', taskId, 'stdout'), 'utf8');

/** Host pids in a task's cgroup (and its sessions'). */
const pidsOf = (root: string, containerId: string): number[] => (hierarchy!.exists(`${root}/${containerId}`) ? hierarchy!.pids(`${root}/${containerId}`) : []);

/**
 * An executor with its own test cgroup root. `finish()` stops it (the emulator SIGTERMs it,
 * it destroys its containers) and checks that the root is gone in every hierarchy and that
 * every pid the test recorded is gone.
 */
async function start(t: Test, encoding: Encoding, env: Record<string, string> = {}): Promise<Harness & { root: string; seen: Set<number>; finish(): Promise<void> }> {
  const root = `mesos-sidecar-test-${process.pid}-${++roots}`;
  const h = await startExecutor(t, encoding, {}, { MESOS_SIDECAR_CGROUP_ROOT: root, ...env });
  const seen = new Set<number>();
  const finish = async (): Promise<void> => {
    await h.agent.close();
    await until(() => [...seen].every(processGone), `every task process gone (${[...seen].join(', ')})`);
    t.same(hierarchy!.dirs(root).filter((d) => existsSync(d)), [], `no cgroup left under ${root}`);
  };
  return { ...h, root, seen, finish };
}

t.test('privileges: root, namespaces and writable cgroups (this file needs them)', async (t) => {
  if (!requireRoot(t, 'task containers')) return;
  t.ok(choice.namespaces && choice.cgroups && hierarchy, `isolation probe: ${choice.reason}`);
});

if (!(choice.namespaces && choice.cgroups && hierarchy)) {
  t.end();
} else {
  for (const encoding of ENCODINGS) {
    t.test(`${encoding}: a task is PID 1's child in its own pid namespace, sees only its own processes, and is labelled with its isolation`, async (t) => {
      const { agent, exec, root, finish } = await start(t, encoding);
      const id = uniqueId('pidns');
      agent.launch(shellTask(id, 'echo "self=$$ parent=$PPID"; for p in /proc/[0-9]*; do cat $p/comm; done', { resources: [scalar('cpus', 0.1), scalar('mem', 64)] }));
      const terminal = await agent.waitForTerminal(id);
      t.equal(terminal.state, 'TASK_FINISHED', String(terminal.message));
      const [first, ...comms] = stdoutOf(agent, id).trim().split('\n');
      t.equal(first, 'self=2 parent=1', 'the shell is PID 2, its parent the init (PID 1)');
      t.same([...new Set(comms)].filter((c) => !['mesos-sidecar-i', 'sh', 'cat'].includes(c)), [], `only the container's processes are visible: ${[...new Set(comms)]}`);
      const states = agent.updates.filter((u) => u.status.task_id.value === id);
      t.same([...new Set(states.map((u) => label(u.status, ISOLATION_LABEL)))], ['namespaces,cgroups'], 'every update says which isolation the task got');
      const line = logLines(exec).find((l) => l.msg === 'container isolation');
      t.equal(line?.isolation, 'namespaces,cgroups', 'one start-up line says what is used');
      t.match(String(line?.reason), /^auto: pid, mount, UTS and IPC namespaces available; cgroup v[12] \(.*\) writable under our own cgroup$/);
      t.equal(line?.cgroupRoot, root);
      await finish();
    });

    t.test(`${encoding}: a group member allocating past its mem ends TASK_FAILED REASON_CONTAINER_LIMITATION_MEMORY with limitation; its sibling is killed`, async (t) => {
      const { agent, root, seen, finish } = await start(t, encoding);
      const hog = uniqueId('hog');
      const sib = uniqueId('sib');
      agent.launchGroup({
        tasks: [
          shellTask(hog, 'exec perl -e \'my $x = "a" x (256 * 1024 * 1024); sleep 30\'', { resources: [scalar('cpus', 0.1), scalar('mem', 32)], limits: { mem: { value: 48 } } }),
          shellTask(sib, 'exec sleep 300', { resources: [scalar('cpus', 0.1), scalar('mem', 32)], kill_policy: killPolicy(500) }),
        ],
      });
      await agent.waitForUpdate((s) => s.task_id.value === sib && s.state === 'TASK_RUNNING');
      for (const p of pidsOf(root, containerOf(agent, sib))) seen.add(p);
      const failed = await agent.waitForTerminal(hog);
      t.equal(failed.state, 'TASK_FAILED');
      t.equal(failed.reason, 'REASON_CONTAINER_LIMITATION_MEMORY');
      t.match(failed.message, /^Command terminated with signal Killed: Memory limit exceeded: Requested: 48MB Maximum Used: \d+[KM]?B\n\nMEMORY STATISTICS: \n/);
      const mem = failed.limitation?.resources?.[0];
      t.equal(mem?.name, 'mem', 'limitation: the mem resource');
      t.ok(mem?.scalar && mem.scalar.value > 40 && mem.scalar.value <= 48, `its peak, ${mem?.scalar?.value} MB, near the 48 MB limit`);
      const killed = await agent.waitForTerminal(sib);
      t.equal(killed.state, 'TASK_KILLED');
      t.equal(killed.message, `Command terminated with signal Terminated (killed because task '${hog}' of its group ended)`);
      t.notOk(killed.limitation, 'the sibling has no limitation of its own');
      await finish();
    });
  }

  t.test('a process that left its process group (setsid) is killed with its container', async (t) => {
    const { agent, root, seen, finish } = await start(t, 'protobuf');
    const id = uniqueId('setsid');
    agent.launch(shellTask(id, 'setsid sleep 301 & exec sleep 300', { kill_policy: killPolicy(500) }));
    await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
    const cid = containerOf(agent, id);
    const sessionLeader = (pid: number): boolean => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep' && Number(fields[3]) === pid;
      } catch {
        return false;
      }
    };
    // The escapee is a leader of its own session: outside the task's process group.
    await until(() => pidsOf(root, cid).some(sessionLeader), 'the setsid sleep running in the task cgroup');
    const escaped = pidsOf(root, cid).filter(sessionLeader);
    for (const p of pidsOf(root, cid)) seen.add(p);
    agent.kill(id);
    const terminal = await agent.waitForTerminal(id);
    t.equal(terminal.state, 'TASK_KILLED');
    await until(() => escaped.every(processGone), `the setsid process ${escaped} gone`);
    t.ok(escaped.every(processGone), 'killed with its container');
    await finish();
  });

  t.test('bad resources are TASK_ERROR naming the field (negative cpus in JSON, NaN mem in protobuf); nothing is started', async (t) => {
    for (const [encoding, resources, field] of [
      ['json', [scalar('cpus', -1), scalar('mem', 64)], /^Invalid resource 'TaskInfo\.resources\.cpus': must not be negative, got -1$/],
      ['protobuf', [scalar('cpus', 0.1), scalar('mem', Number.NaN)], /^Invalid resource 'TaskInfo\.resources\.mem': expected a number, got NaN$/],
    ] as const) {
      const { agent, root, finish } = await start(t, encoding);
      const id = uniqueId('badres');
      agent.launch(shellTask(id, 'echo ran', { resources: [...resources] }));
      const terminal = await agent.waitForTerminal(id);
      t.equal(terminal.state, 'TASK_ERROR', encoding);
      t.equal(terminal.reason, 'REASON_TASK_INVALID', encoding);
      t.match(terminal.message, field, encoding);
      t.notOk(existsSync(path.join(agent.sandbox, 'tasks', id, 'stdout')), `${encoding}: the command never ran`);
      t.same(hierarchy.children(root), [], `${encoding}: no cgroup was created for it`);
      await finish();
    }
  });

  t.test('at start, cgroups a crashed run left under our root are removed and their processes killed', async (t) => {
    const root = `mesos-sidecar-test-${process.pid}-${++roots}`;
    const rel = `${root}/crashed-run-task`;
    hierarchy.create(rel);
    const orphan = spawn('sleep', ['300'], { stdio: 'ignore', detached: true });
    t.teardown(() => {
      if (!processGone(orphan.pid!)) process.kill(orphan.pid!, 'SIGKILL');
      if (hierarchy.exists(rel)) hierarchy.remove(rel);
      if (hierarchy.exists(root)) hierarchy.remove(root);
    });
    const orphanExit = new Promise((resolve) => orphan.once('exit', (_code, signal) => resolve(signal)));
    t.ok(hierarchy.join(rel, orphan.pid!), 'a leftover process in a leftover cgroup');
    const { exec } = await startExecutor(t, 'json', {}, { MESOS_SIDECAR_CGROUP_ROOT: root });
    t.equal(await orphanExit, 'SIGKILL', 'its process was killed');
    // Recovery runs while the executor subscribes: it may end a moment after the kill.
    const removedLine = () => logLines(exec).find((l) => l.msg === 'removed cgroups a previous run left behind (their processes killed)');
    await until(() => removedLine() !== undefined, 'the start-up log line naming the removed cgroups');
    t.notOk(hierarchy.exists(rel), 'its cgroup is gone');
    t.same(removedLine()?.cgroups, [rel], 'the start-up log names it');
  });

  t.test('MESOS_SIDECAR_ISOLATION=none: tasks run as plain process groups, labelled none, with no cgroup', async (t) => {
    const { agent, exec, root, finish } = await start(t, 'json', { MESOS_SIDECAR_ISOLATION: 'none' });
    const id = uniqueId('none');
    agent.launch(shellTask(id, 'echo "self=$$"'));
    const terminal = await agent.waitForTerminal(id);
    t.equal(terminal.state, 'TASK_FINISHED');
    t.equal(label(terminal, ISOLATION_LABEL), 'none');
    t.not(stdoutOf(agent, id).trim(), 'self=2', 'in the host pid namespace');
    t.notOk(hierarchy.exists(root), 'no cgroup was made');
    t.match(logLines(exec).find((l) => l.msg === 'container isolation'), { isolation: 'none', reason: 'MESOS_SIDECAR_ISOLATION=none' });
    await finish();
  });
}

t.test('an invalid MESOS_SIDECAR_ISOLATION or MESOS_SIDECAR_CGROUP_ROOT is a configuration error: exit 2 naming the variable', async (t) => {
  for (const [variable, value, message] of [
    ['MESOS_SIDECAR_ISOLATION', 'namespaces,gpu', "MESOS_SIDECAR_ISOLATION: unknown isolation 'gpu' in 'namespaces,gpu'"],
    ['MESOS_SIDECAR_CGROUP_ROOT', '../escape', "MESOS_SIDECAR_CGROUP_ROOT: '../escape' is not a cgroup name"],
  ] as const) {
    const agent = await AgentEmulator.start({ logger: quietLogger() });
    t.teardown(() => agent.close());
    const exec = agent.spawnExecutor({ encoding: 'json', env: { [variable]: value } });
    t.same(await exec.exited, { code: 2, signal: null }, `${variable}=${value}`);
    t.ok(exec.stderrLines.some((l) => l.startsWith(`mesos-sidecar-executor: ${message}`)), `stderr says: ${message}`);
    t.notOk(agent.connected, 'it never subscribed');
  }
});
