// KILL through the real wire: SIGTERM to the task's process group, SIGKILL after the
// grace period, TASK_KILLING first (framework capability), TASK_KILLED last.
import t from 'tap';
import path from 'node:path';
import { ENCODINGS, fixture, killPolicy, shellTask, startExecutor, uniqueId } from '../helpers/tasks.js';
import { processGone, until, waitForFile } from '../helpers/wait.js';

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: a task ignoring SIGTERM is SIGKILLed after its 300 ms grace and ends TASK_KILLED`, async (t) => {
    const { agent, exec } = await startExecutor(t, encoding);
    const id = uniqueId('stubborn');
    agent.launch(shellTask(id, `exec ${fixture('ignore-term.sh')}`, { kill_policy: killPolicy(300) }));
    const pid = Number(await waitForFile(path.join(agent.sandbox, 'tasks', id, 'pid')));
    await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
    agent.kill(id);
    const killing = await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_KILLING');
    const killed = await agent.waitForTerminal(id);
    t.equal(killed.state, 'TASK_KILLED');
    t.equal(killed.message, 'Command terminated with signal Killed', 'SIGTERM was ignored, SIGKILL ended it');
    const elapsed = (killed.timestamp! - killing.timestamp!) * 1000;
    t.ok(elapsed >= 290, `SIGKILL came after the grace period (${elapsed.toFixed(0)} ms)`);
    t.ok(elapsed < 3000, 'and not the 3 s default');
    await until(() => processGone(pid), `task ${pid} to be gone`);
    t.same(await exec.exited, { code: 0, signal: null });
  });

  t.test(`${encoding}: KILL's own kill_policy overrides the TaskInfo's, and grandchildren die too`, async (t) => {
    const { agent } = await startExecutor(t, encoding);
    const id = uniqueId('family');
    agent.launch(shellTask(id, `exec ${fixture('grandchild.sh')}`, { kill_policy: killPolicy(60_000) }));
    const grandchild = Number(await waitForFile(path.join(agent.sandbox, 'tasks', id, 'grandchild.pid')));
    t.notOk(processGone(grandchild), 'grandchild runs');
    agent.kill(id, 200);
    const killed = await agent.waitForTerminal(id);
    t.equal(killed.state, 'TASK_KILLED');
    t.equal(killed.message, 'Command terminated with signal Terminated', 'the task itself obeyed SIGTERM');
    await until(() => processGone(grandchild), `grandchild ${grandchild} to be gone`);
    t.pass('grandchild that ignored SIGTERM is gone');
  });
}

t.test('without TASK_KILLING_STATE no TASK_KILLING is sent', async (t) => {
  const { agent } = await startExecutor(t, 'protobuf', { capabilities: ['PARTITION_AWARE'] });
  const id = uniqueId('plain');
  agent.launch(shellTask(id, `exec ${fixture('sleeper.sh')}`));
  await waitForFile(path.join(agent.sandbox, 'tasks', id, 'pid'));
  agent.kill(id);
  const killed = await agent.waitForTerminal(id);
  t.equal(killed.state, 'TASK_KILLED');
  t.same(agent.updates.map((u) => u.status.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLED']);
});

t.test('a repeated KILL with a shorter grace brings SIGKILL forward', async (t) => {
  const { agent } = await startExecutor(t, 'json');
  const id = uniqueId('rekill');
  agent.launch(shellTask(id, `exec ${fixture('ignore-term.sh')}`));
  await waitForFile(path.join(agent.sandbox, 'tasks', id, 'pid'));
  const started = Date.now();
  agent.kill(id, 60_000);
  await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_KILLING');
  agent.kill(id, 100);
  const killed = await agent.waitForTerminal(id);
  t.equal(killed.message, 'Command terminated with signal Killed');
  t.ok(Date.now() - started < 10_000, 'did not wait for the first 60 s grace');
});

t.test('max_completion_time: killed at once when it runs out, TASK_FAILED with REASON_MAX_COMPLETION_TIME_REACHED, no TASK_KILLING', async (t) => {
  const { agent } = await startExecutor(t, 'json');
  const id = uniqueId('overtime');
  const started = Date.now();
  agent.launch(shellTask(id, `exec ${fixture('ignore-term.sh')}`, { max_completion_time: { nanoseconds: 300_000_000n }, kill_policy: killPolicy(60_000) }));
  const s = await agent.waitForTerminal(id);
  t.equal(s.state, 'TASK_FAILED');
  t.equal(s.reason, 'REASON_MAX_COMPLETION_TIME_REACHED');
  t.match(s.message, /^Command terminated with signal (Killed|Terminated)$/);
  const elapsed = Date.now() - started;
  t.ok(elapsed >= 300, 'not before the deadline');
  t.ok(elapsed < 30_000, 'grace 0: the 60 s kill policy does not apply');
  t.same(agent.updates.map((u) => u.status.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FAILED']);
});

t.test('a task that finishes before max_completion_time is not touched', async (t) => {
  const { agent, exec } = await startExecutor(t, 'protobuf');
  const id = uniqueId('in-time');
  agent.launch(shellTask(id, 'true', { max_completion_time: { nanoseconds: 60_000_000_000n } }));
  t.equal((await agent.waitForTerminal(id)).state, 'TASK_FINISHED');
  t.equal((await exec.exited).code, 0, 'and no timer keeps the executor alive');
});
