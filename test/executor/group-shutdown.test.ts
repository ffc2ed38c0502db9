// LAUNCH_GROUP policy, SHUTDOWN and the ERROR event through the real wire.
import t from 'tap';
import path from 'node:path';
import { ENCODINGS, fixture, killPolicy, logLines, shellTask, startExecutor, uniqueId } from '../helpers/tasks.js';
import { processGone, until, waitForFile } from '../helpers/wait.js';

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: in a task group, one task failing takes the others down as TASK_KILLED`, async (t) => {
    const { agent, exec } = await startExecutor(t, encoding);
    const [a, b, bad] = [uniqueId('web'), uniqueId('sidecar'), uniqueId('crash')];
    agent.launchGroup({
      tasks: [
        shellTask(a, `exec ${fixture('sleeper.sh')}`, { kill_policy: killPolicy(500) }),
        shellTask(b, `exec ${fixture('ignore-term.sh')}`, { kill_policy: killPolicy(200) }),
        // Waits for its siblings to be up, so the kill hits running processes.
        shellTask(bad, `while [ ! -e ../${a}/pid ] || [ ! -e ../${b}/pid ]; do sleep 0.05; done; exit 7`),
      ],
    });
    const pids = await Promise.all([a, b].map(async (id) => Number(await waitForFile(path.join(agent.sandbox, 'tasks', id, 'pid')))));
    const failed = await agent.waitForTerminal(bad);
    t.equal(failed.state, 'TASK_FAILED');
    t.equal(failed.message, 'Command exited with status 7');
    for (const id of [a, b]) {
      const s = await agent.waitForTerminal(id);
      t.equal(s.state, 'TASK_KILLED', `${id} killed with the group`);
      t.match(s.message, new RegExp(`killed because task '${bad}' of its group ended`));
      t.notOk('healthy' in s, 'no health verdict for a plain failure');
    }
    for (const pid of pids) await until(() => processGone(pid), `task ${pid} gone`);
    const containers = new Set(agent.updates.map((u) => u.status.container_status?.container_id?.value));
    t.equal(containers.size, 3, 'each task has its own nested container');
    t.equal((await exec.exited).code, 0);
  });

  t.test(`${encoding}: a task group whose tasks all finish ends TASK_FINISHED each, nobody killed`, async (t) => {
    const { agent } = await startExecutor(t, encoding);
    const [a, b] = [uniqueId('one'), uniqueId('two')];
    agent.launchGroup({ tasks: [shellTask(a, 'true'), shellTask(b, 'exit 0')] });
    t.equal((await agent.waitForTerminal(a)).state, 'TASK_FINISHED');
    t.equal((await agent.waitForTerminal(b)).state, 'TASK_FINISHED');
  });

  t.test(`${encoding}: SHUTDOWN kills every task and the executor exits 0 after the acknowledgements`, async (t) => {
    const { agent, exec } = await startExecutor(t, encoding, { shutdownGracePeriod: '2500ms' });
    const ids = [uniqueId('s1'), uniqueId('s2')];
    // The task asks for 60 s; SHUTDOWN grants at most shutdown grace − 2 s = 500 ms.
    for (const id of ids) agent.launch(shellTask(id, `exec ${fixture('ignore-term.sh')}`, { kill_policy: killPolicy(60_000) }));
    for (const id of ids) await waitForFile(path.join(agent.sandbox, 'tasks', id, 'pid'));
    const started = Date.now();
    agent.shutdown();
    for (const id of ids) {
      const s = await agent.waitForTerminal(id);
      t.equal(s.state, 'TASK_KILLED');
      t.equal(s.message, 'Command terminated with signal Killed');
    }
    t.ok(Date.now() - started < 2500, 'done within the shutdown grace period');
    t.same(await exec.exited, { code: 0, signal: null });
  });
}

t.test('an ERROR event is logged and changes nothing', async (t) => {
  const { agent, exec } = await startExecutor(t, 'json');
  agent.sendError('something odd at the agent');
  const id = uniqueId('after-error');
  agent.launch(shellTask(id, 'true'));
  t.equal((await agent.waitForTerminal(id)).state, 'TASK_FINISHED');
  t.equal((await exec.exited).code, 0);
  const line = logLines(exec).find((l) => l.msg === 'ERROR event from the agent');
  t.equal(line?.message, 'something odd at the agent', 'the log line carries the agent message');
  t.equal(line?.level, 50, 'logged at error level');
});

t.test('a framework MESSAGE and a HEARTBEAT are accepted without effect', async (t) => {
  const { agent, exec } = await startExecutor(t, 'protobuf');
  agent.sendMessage(Buffer.from('hello executor'));
  agent.sendHeartbeat();
  const id = uniqueId('after-message');
  agent.launch(shellTask(id, 'true'));
  t.equal((await agent.waitForTerminal(id)).state, 'TASK_FINISHED');
  t.equal((await exec.exited).code, 0);
});

t.test('a LAUNCH that arrives during SHUTDOWN is dropped before it starts (TASK_DROPPED for PARTITION_AWARE)', async (t) => {
  const { agent, exec } = await startExecutor(t, 'protobuf');
  const live = uniqueId('dying');
  agent.launch(shellTask(live, `exec ${fixture('ignore-term.sh')}`, { kill_policy: killPolicy(300) }));
  await waitForFile(path.join(agent.sandbox, 'tasks', live, 'pid'));
  agent.shutdown();
  const late = uniqueId('late');
  agent.launch(shellTask(late, 'true'));
  const dropped = await agent.waitForTerminal(late);
  t.equal(dropped.state, 'TASK_DROPPED');
  t.equal(dropped.message, 'Executor is shutting down');
  t.same(agent.updates.filter((u) => u.status.task_id.value === late).map((u) => u.status.state), ['TASK_DROPPED'], 'never started');
  t.equal((await agent.waitForTerminal(live)).state, 'TASK_KILLED');
  t.equal((await exec.exited).code, 0);
});
