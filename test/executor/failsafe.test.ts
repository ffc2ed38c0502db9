// The 60 s fail-safe (executor-api.md §7.2 step 6): with no live task left and a terminal
// update never acknowledged, the executor gives up and exits non-zero. Driven on an
// injected ManualClock; the executor runs in-process against the emulator over the wire.
import t, { type Test } from 'tap';
import { ACK_FAILSAFE_MS, EXIT_AGENT_LOST } from '../../executor/executor.js';
import type { executor } from '../../proto/codec.js';
import { fixture, shellTask, startInProcessExecutor, uniqueId } from '../helpers/tasks.js';

const subscribedExecutor = (t: Test, encoding: 'json' | 'protobuf', options: { autoAcknowledge?: boolean } = {}) => startInProcessExecutor(t, encoding, options);

t.test('an unacknowledged terminal update: exit 1 exactly 60 s later, not before', async (t) => {
  const { agent, clock, exited } = await subscribedExecutor(t, 'json', { autoAcknowledge: false });
  let code: number | undefined;
  void exited.then((c) => (code = c));
  const id = uniqueId('unacked');
  agent.launch(shellTask(id, 'true'));
  const terminal = await agent.waitForTerminal(id);
  t.equal(terminal.state, 'TASK_FINISHED');
  clock.advance(ACK_FAILSAFE_MS - 1);
  await new Promise((r) => setImmediate(r));
  t.equal(code, undefined, 'still waiting for the acknowledgement at 59.999 s');
  clock.advance(1);
  t.equal(await exited, EXIT_AGENT_LOST);
});

t.test('acknowledged in time: exit 0 and the fail-safe never fires', async (t) => {
  const { agent, clock, exited } = await subscribedExecutor(t, 'protobuf', { autoAcknowledge: false });
  const id = uniqueId('acked');
  agent.on('update', (u) => agent.acknowledge(u.status.uuid!));
  agent.launch(shellTask(id, 'true'));
  await agent.waitForTerminal(id);
  t.equal(await exited, 0);
  t.equal(clock.pending, 0, 'no timer left behind');
});

t.test('a HEARTBEAT call goes to the agent every 30 minutes while subscribed', async (t) => {
  const { agent, clock, exited } = await subscribedExecutor(t, 'protobuf');
  const id = uniqueId('hb');
  agent.launch(shellTask(id, `exec ${fixture('sleeper.sh')}`));
  // An update back from the executor proves SUBSCRIBED was handled: the timer is armed.
  await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
  const heartbeats: executor.Call[] = [];
  agent.on('call', (c: executor.Call) => c.type === 'HEARTBEAT' && heartbeats.push(c));
  const first = new Promise<void>((resolve) => agent.on('call', (c: executor.Call) => c.type === 'HEARTBEAT' && resolve()));
  clock.advance(30 * 60_000 - 1);
  await new Promise((r) => setImmediate(r));
  t.equal(heartbeats.length, 0, 'not before 30 minutes');
  clock.advance(1);
  await first;
  t.equal(heartbeats[0]!.executor_id.value, agent.executorId);
  agent.kill(id);
  await agent.waitForTerminal(id);
  t.equal(await exited, 0);
});
