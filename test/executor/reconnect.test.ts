// Agent restarts (executor-api.md §8) through the real wire: resend in SUBSCRIBE, and
// refused SUBSCRIBEs. Recovery timeout, checkpointing and updates created while away are
// step tests (steps.test.ts, recovery.test.ts).
import t from 'tap';
import path from 'node:path';
import { AgentEmulator } from '../../agent/emulator.js';
import { ENCODINGS, fixture, quietLogger, shellTask, startExecutor, uniqueId } from '../helpers/tasks.js';
import { processGone, waitForFile } from '../helpers/wait.js';

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
