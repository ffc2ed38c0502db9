// Durations over 2^31-1 ms (24.8 days) through the real executor process and wire. Node
// alone fires such timers after ~1 ms, so each case first lets a short task run to its
// end (a round trip far longer than 1 ms) and then shows the long timer has not fired.
import t from 'tap';
import path from 'node:path';
import type { AgentEmulator } from '../../agent/emulator.js';
import { msToDurationInfo } from '../../common/duration.js';
import type { mesos } from '../../proto/codec.js';
import { alive, fixture, killPolicy, shellTask, startExecutor, uniqueId } from '../helpers/tasks.js';
import { waitForFile } from '../helpers/wait.js';

const DAY_MS = 86_400_000;
const DAY_S = 86_400;

/** A task that ends at once, run to its terminal update: time passes through the executor. */
async function roundTrip(agent: AgentEmulator): Promise<void> {
  const id = uniqueId('round-trip');
  agent.launch(shellTask(id, 'true'));
  await agent.waitForTerminal(id);
}

const updatesOf = (agent: AgentEmulator, id: string): mesos.TaskStatus[] => agent.updates.filter((u) => u.status.task_id.value === id).map((u) => u.status);

t.test('json: max_completion_time of 25 days does not fail the task at once', async (t) => {
  const { agent, exec } = await startExecutor(t, 'json');
  const id = uniqueId('long-completion');
  agent.launch(shellTask(id, `exec ${fixture('sleeper.sh')}`, { max_completion_time: msToDurationInfo(25 * DAY_MS) }));
  await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
  await roundTrip(agent);
  t.same(updatesOf(agent, id).map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING'], 'no TASK_FAILED (REASON_MAX_COMPLETION_TIME_REACHED)');
  agent.kill(id);
  t.equal((await agent.waitForTerminal(id)).state, 'TASK_KILLED');
  t.same(await exec.exited, { code: 0, signal: null });
});

t.test('protobuf: a 25-day kill grace does not SIGKILL at once; a shorter repeated KILL still can', async (t) => {
  const { agent, exec } = await startExecutor(t, 'protobuf');
  const id = uniqueId('long-grace');
  agent.launch(shellTask(id, `exec ${fixture('ignore-term.sh')}`, { kill_policy: killPolicy(25 * DAY_MS) }));
  const pid = Number(await waitForFile(path.join(agent.sandbox, 'tasks', id, 'pid')));
  agent.kill(id);
  await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_KILLING');
  await roundTrip(agent);
  t.ok(alive(pid), 'the task shrugged off SIGTERM and no SIGKILL came');
  t.notOk(updatesOf(agent, id).some((s) => s.state === 'TASK_KILLED'), 'no terminal update yet');
  agent.kill(id, 0);
  const killed = await agent.waitForTerminal(id);
  t.equal(killed.message, 'Command terminated with signal Killed');
  t.same(await exec.exited, { code: 0, signal: null });
});

t.test('json: MESOS_RECOVERY_TIMEOUT=30days survives an agent restart', async (t) => {
  const { agent, exec } = await startExecutor(t, 'json', { recoveryTimeout: '30days', subscriptionBackoffMax: '100ms' });
  const id = uniqueId('long-recovery');
  agent.launch(shellTask(id, `exec ${fixture('sleeper.sh')}`));
  await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
  const resubscribed = agent.waitForSubscribed();
  await agent.restart();
  const early = exec.exited.then((e) => Promise.reject(new Error(`executor exited ${JSON.stringify(e)} instead of re-subscribing`)));
  const call = await Promise.race([resubscribed, early]);
  t.equal(call.type, 'SUBSCRIBE', 're-subscribed instead of exiting at the first disconnection');
  agent.kill(id);
  t.equal((await agent.waitForTerminal(id)).state, 'TASK_KILLED');
  t.same(await exec.exited, { code: 0, signal: null });
});

t.test('protobuf: MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD=30days: SHUTDOWN kills gracefully, the terminal update arrives, exit 0', async (t) => {
  const { agent, exec } = await startExecutor(t, 'protobuf', { shutdownGracePeriod: '30days' });
  const id = uniqueId('long-shutdown');
  agent.launch(shellTask(id, `exec ${fixture('sleeper.sh')}`));
  await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
  agent.shutdown();
  const killed = await agent.waitForTerminal(id);
  t.equal(killed.state, 'TASK_KILLED');
  t.equal(killed.message, 'Command terminated with signal Terminated', 'SIGTERM, not an early SIGKILL');
  t.same(await exec.exited, { code: 0, signal: null });
});

t.test('json: a 30-day health check timeout does not time every probe out', async (t) => {
  const { agent } = await startExecutor(t, 'json');
  const id = uniqueId('long-health-timeout');
  const health_check: mesos.HealthCheck = { type: 'COMMAND', command: { value: 'true', shell: true }, delay_seconds: 0, interval_seconds: 0.05, timeout_seconds: 30 * DAY_S };
  agent.launch(shellTask(id, `exec ${fixture('sleeper.sh')}`, { health_check }));
  const first = await agent.waitForUpdate((s) => s.task_id.value === id && s.healthy !== undefined);
  t.equal(first.healthy, true, 'the first probe is healthy, not timed out');
  agent.kill(id);
  await agent.waitForTerminal(id);
});

t.test('protobuf: a 30-day check delay does not start the check at once', async (t) => {
  const { agent, exec } = await startExecutor(t, 'protobuf');
  const id = uniqueId('long-check-delay');
  const check: mesos.CheckInfo = { type: 'COMMAND', command: { command: { value: 'true', shell: true } }, delay_seconds: 30 * DAY_S, interval_seconds: 0.05 };
  agent.launch(shellTask(id, `exec ${fixture('sleeper.sh')}`, { check }));
  await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
  await roundTrip(agent);
  await roundTrip(agent);
  const results = updatesOf(agent, id).filter((s) => s.check_status?.command?.exit_code !== undefined);
  t.same(results, [], 'no check result during the 30-day delay');
  const warnings = exec.stderrLines.filter((l) => l.includes('TimeoutOverflowWarning'));
  t.same(warnings, [], 'no TimeoutOverflowWarning');
  agent.kill(id);
  await agent.waitForTerminal(id);
});
