// Agent restarts and disappearances (executor-api.md §8) through the real wire.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { AgentEmulator } from '../../agent/emulator.js';
import { ENCODINGS, fixture, killPolicy, quietLogger, shellTask, startExecutor, uniqueId } from '../helpers/tasks.js';
import { processGone, until, waitForFile } from '../helpers/wait.js';

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: updates unacknowledged across an agent restart are resent in SUBSCRIBE, none lost, none duplicated after ack`, async (t) => {
    const { agent, exec } = await startExecutor(t, encoding, { autoAcknowledge: false, subscriptionBackoffMax: '100ms' });
    const id = uniqueId('survivor');
    agent.launch(shellTask(id, `exec ${fixture('sleeper.sh')}`));
    const starting = await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_STARTING');
    const running = await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
    const pid = Number(await waitForFile(path.join(agent.sandbox, 'tasks', id, 'pid')));

    const resubscribed = agent.waitForSubscribed();
    await agent.restart();
    const call = await resubscribed;
    const resent = call.subscribe?.unacknowledged_updates?.map((u) => u.status) ?? [];
    t.same(resent.map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING'], 'both unacknowledged updates resent, in order');
    t.same(resent.map((s) => s.uuid!.toString('hex')), [starting.uuid!.toString('hex'), running.uuid!.toString('hex')], 'with their original UUIDs');
    t.same(call.subscribe?.unacknowledged_tasks?.map((ti) => ti.task_id.value), [id], 'the task is listed as unacknowledged');
    t.notOk(processGone(pid), 'the task kept running through the restart');

    // From now on the agent acknowledges everything.
    agent.on('update', (u) => agent.acknowledge(u.status.uuid!));
    agent.acknowledge(starting.uuid!);
    agent.acknowledge(running.uuid!);
    agent.kill(id);
    t.equal((await agent.waitForTerminal(id)).state, 'TASK_KILLED');
    t.same(await exec.exited, { code: 0, signal: null });
    const fresh = agent.updates.filter((u) => !u.duplicate).map((u) => u.status.state);
    t.same(fresh, ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_KILLED'], 'every update reached the agent exactly once');
    t.same(agent.updates.filter((u) => u.duplicate).map((u) => u.status.state), ['TASK_STARTING', 'TASK_RUNNING'], 'the only duplicates are the resent ones');
  });
}

t.test('an agent gone past MESOS_RECOVERY_TIMEOUT: tasks killed, executor exits non-zero', async (t) => {
  const { agent, exec } = await startExecutor(t, 'protobuf', { recoveryTimeout: '500ms', subscriptionBackoffMax: '100ms' });
  const id = uniqueId('orphan');
  agent.launch(shellTask(id, `exec ${fixture('ignore-term.sh')}`, { kill_policy: killPolicy(200) }));
  const pid = Number(await waitForFile(path.join(agent.sandbox, 'tasks', id, 'pid')));
  await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
  await agent.stop();
  const exit = await exec.exited;
  t.equal(exit.code, 1, 'exit code 1: the agent was lost');
  t.ok(processGone(pid), 'the task was killed before the executor left');
  t.ok(exec.stderrLines.some((l) => l.includes('recovery timeout')), 'the log says why');
});

t.test('an agent back within the recovery timeout cancels it', async (t) => {
  const { agent, exec } = await startExecutor(t, 'json', { recoveryTimeout: '2secs', subscriptionBackoffMax: '100ms' });
  const id = uniqueId('patient');
  agent.launch(shellTask(id, `exec ${fixture('sleeper.sh')}`));
  await waitForFile(path.join(agent.sandbox, 'tasks', id, 'pid'));
  const back = agent.waitForSubscribed();
  await agent.restart({ downMs: 1200 });
  await back;
  // 2.4 s of outages in all, more than the 2 s timeout: each reconnection restarts it.
  const second = agent.waitForSubscribed();
  await agent.restart({ downMs: 1200 });
  await second;
  agent.kill(id);
  t.equal((await agent.waitForTerminal(id)).state, 'TASK_KILLED');
  t.equal((await exec.exited).code, 0);
});

t.test('without checkpointing a disconnection shuts the executor down and kills its tasks', async (t) => {
  const { agent, exec } = await startExecutor(t, 'protobuf', { checkpoint: false });
  const id = uniqueId('fragile');
  agent.launch(shellTask(id, `exec ${fixture('ignore-term.sh')}`, { kill_policy: killPolicy(200) }));
  const pid = Number(await waitForFile(path.join(agent.sandbox, 'tasks', id, 'pid')));
  await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
  await agent.restart();
  const exit = await exec.exited;
  t.equal(exit.code, 1);
  await until(() => processGone(pid), 'task gone');
  t.pass('task killed');
  t.ok(exec.stderrLines.some((l) => l.includes('disconnected from the agent; shutting down')));
});

t.test('SUBSCRIBE answered 503 and 404 is resent (every second) until the agent accepts it', async (t) => {
  const agent = await AgentEmulator.start({ logger: quietLogger() });
  t.teardown(() => agent.close());
  const answers: number[] = [];
  agent.on('request', (_method: string, _path: string, status: number) => answers.push(status));
  agent.failNextSubscribes(1, 503);
  const subscribed = agent.waitForSubscribed();
  const exec = agent.spawnExecutor({ encoding: 'json', env: { MESOS_SIDECAR_LOG_LEVEL: 'info' } });
  await subscribed;
  t.same(answers, [503, 200], 'refused once, then accepted');
  agent.failNextSubscribes(1, 404);
  const again = agent.waitForSubscribed();
  await agent.restart();
  await again;
  t.same(answers.slice(2), [404, 200], 'after a restart: 404 once, then accepted');
  agent.shutdown();
  t.equal((await exec.exited).code, 0);
  t.equal(exec.stderrLines.filter((l) => l.includes('agent refused SUBSCRIBE; resending in 1 s')).length, 2, 'each refusal logged');
});

t.test('a task that ends while the agent is away: its terminal update arrives with the next SUBSCRIBE', async (t) => {
  const { agent, exec } = await startExecutor(t, 'json', { subscriptionBackoffMax: '100ms' });
  const id = uniqueId('lonely');
  const sandbox = path.join(agent.sandbox, 'tasks', id);
  agent.launch(shellTask(id, 'echo $$ > pid.tmp && mv pid.tmp pid; while [ ! -e go ]; do sleep 0.05; done; exit 4'));
  await waitForFile(path.join(sandbox, 'pid'));
  await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
  await agent.stop();
  writeFileSync(path.join(sandbox, 'go'), '');
  await until(() => exec.stderrLines.some((l) => l.includes('"state":"TASK_FAILED"') && l.includes('status update')), 'the executor to produce the terminal update');
  const back = agent.waitForSubscribed();
  await agent.restart();
  const call = await back;
  // TASK_RUNNING may ride along too, if its ACKNOWLEDGED was still on the wire at stop().
  t.equal(call.subscribe?.unacknowledged_updates?.at(-1)?.status.state, 'TASK_FAILED', 'carried by SUBSCRIBE');
  const s = await agent.waitForTerminal(id);
  t.equal(s.message, 'Command exited with status 4');
  t.equal((await exec.exited).code, 0, 'acknowledged, so the executor leaves normally');
});
