// KILL_CONTAINER / KILL_NESTED_CONTAINER on a task's container goes to the executor
// (TaskRegistry.killTask): the kill policy applies (TASK_KILLING, SIGTERM, then SIGKILL
// after the grace) and the terminal update is TASK_KILLED naming who asked. Before, the
// switchboard signalled the process itself and the task ended TASK_FAILED. Real wire on
// both sides: the executor in-process against the agent emulator, the call over HTTP.
import t, { type Test } from 'tap';
import { AgentEmulator } from '../../agent/emulator.js';
import { createLogger } from '../../common/logger.js';
import type { agent, mesos, MessageContentType } from '../../proto/codec.js';
import { parseExecutorEnvironment } from '../../executor/env.js';
import { Executor } from '../../executor/executor.js';
import { SwitchboardClient } from '../../switchboard/client.js';
import { startSwitchboard } from '../../switchboard/index.js';
import { fixture, killPolicy, quietLogger, shellTask, uniqueId } from '../helpers/tasks.js';

const ENCODINGS: Record<'json' | 'protobuf', MessageContentType> = { json: 'application/json', protobuf: 'application/x-protobuf' };

async function stack(t: Test, encoding: 'json' | 'protobuf') {
  const agentEmulator = await AgentEmulator.start({ logger: quietLogger() });
  t.teardown(() => agentEmulator.close());
  const config = parseExecutorEnvironment(agentEmulator.executorEnvironment({ MESOS_SIDECAR_ENCODING: encoding }));
  const logger = createLogger({ name: 'executor', level: process.env.MESOS_SIDECAR_TEST_LOG_LEVEL ?? 'silent' });
  const executor = new Executor({ config, logger });
  const subscribed = agentEmulator.waitForSubscribed();
  const exited = executor.run();
  let done = false;
  void exited.then(() => (done = true));
  await subscribed;
  const switchboard = await startSwitchboard({ registry: executor, logger, auth: { tokens: [{ principal: 'ops', token: 'tok' }] } });
  t.teardown(async () => {
    await switchboard.close();
    if (!done) {
      agentEmulator.shutdown();
      await exited;
    }
  });
  const client = new SwitchboardClient({ url: switchboard.url, token: 'tok' });
  const kill = (type: 'KILL_CONTAINER' | 'KILL_NESTED_CONTAINER', container_id: mesos.ContainerID, signal: number) => {
    const call: agent.Call =
      type === 'KILL_CONTAINER' ? { type, kill_container: { container_id, signal } } : { type, kill_nested_container: { container_id, signal } };
    return client.call(call, ENCODINGS[encoding]);
  };
  /** Launches a task with the given grace and resolves with its container once it runs. */
  const running = async (id: string, script: string, graceMs: number): Promise<mesos.ContainerID> => {
    agentEmulator.launch(shellTask(id, `exec ${fixture(script)}`, { kill_policy: killPolicy(graceMs) }));
    const status = await agentEmulator.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
    return status.container_status!.container_id!;
  };
  return { agent: agentEmulator, kill, running };
}

for (const encoding of ['json', 'protobuf'] as const) {
  t.test(`${encoding}: KILL_NESTED_CONTAINER with SIGTERM kills the task by its kill policy`, async (t) => {
    const { agent, kill, running } = await stack(t, encoding);
    const id = uniqueId('sb-kill');
    const container = await running(id, 'sleeper.sh', 5_000);
    const res = await kill('KILL_NESTED_CONTAINER', container, 15);
    t.equal(res.status, 200, `answer: ${res.body.toString()}`);
    const killing = await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_KILLING');
    t.ok(killing, 'TASK_KILLING first, as for a scheduler kill');
    const terminal = await agent.waitForTerminal(id);
    t.equal(terminal.state, 'TASK_KILLED', 'the executor records the kill: TASK_KILLED, not TASK_FAILED');
    t.match(terminal.message, /killed by 'ops' through the switchboard/, 'the message names who asked');
    const again = await kill('KILL_NESTED_CONTAINER', container, 15);
    t.equal(again.status, 404, 'a terminated task: 404 "cannot be found (or is already killed)"');
    t.match(again.body.toString(), /cannot be found \(or is already killed\)/);
  });

  t.test(`${encoding}: KILL_CONTAINER with SIGKILL skips the grace period`, async (t) => {
    const { agent, kill, running } = await stack(t, encoding);
    const id = uniqueId('sb-kill9');
    // Ignores SIGTERM and has a grace far beyond the test: only a grace of 0 ends it in time.
    const res = await kill('KILL_CONTAINER', await running(id, 'ignore-term.sh', 600_000), 9);
    t.equal(res.status, 200, `answer: ${res.body.toString()}`);
    const terminal = await agent.waitForTerminal(id);
    t.equal(terminal.state, 'TASK_KILLED');
    t.match(terminal.message, /killed by 'ops' through the switchboard/);
  });
}
