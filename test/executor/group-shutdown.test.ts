// SHUTDOWN, ERROR, MESSAGE and HEARTBEAT events through the real wire. Group policy and
// the shutdown grace arithmetic are step tests (steps.test.ts).
import t from 'tap';
import path from 'node:path';
import { ENCODINGS, fixture, killPolicy, logLines, shellTask, startExecutor, uniqueId } from '../helpers/tasks.js';
import { waitForFile } from '../helpers/wait.js';

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: SHUTDOWN kills every task and the executor exits 0 after the acknowledgements`, async (t) => {
    const { agent, exec } = await startExecutor(t, encoding, { shutdownGracePeriod: '2500ms' });
    const ids = [uniqueId('s1'), uniqueId('s2')];
    // The task asks for 60 s; SHUTDOWN grants at most shutdown grace − 2 s = 500 ms.
    for (const id of ids) agent.launch(shellTask(id, `exec ${fixture('ignore-term.sh')}`, { kill_policy: killPolicy(60_000) }));
    for (const id of ids) await waitForFile(path.join(agent.sandbox, 'tasks', id, 'pid'));
    agent.shutdown();
    for (const id of ids) {
      const s = await agent.waitForTerminal(id);
      t.equal(s.state, 'TASK_KILLED');
      t.equal(s.message, 'Command terminated with signal Killed');
    }
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
