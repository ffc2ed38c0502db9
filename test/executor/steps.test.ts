// Executor behaviour as step tests: the real Executor on a ManualClock with fake processes
// and a fake agent link (test/helpers/step-executor.ts). Each test names the input (an
// event, a signal the process ignores, time passing) and the updates or exit it must cause.
import t from 'tap';
import { ACK_FAILSAFE_MS, EXIT_AGENT_LOST } from '../../executor/executor.js';
import type { TaskCheckFactory, TaskCheckContext } from '../../contracts/checks.js';
import { killPolicy, shellTask } from '../helpers/tasks.js';
import { startStepExecutor } from '../helpers/step-executor.js';

t.test('kill escalation: SIGTERM, then SIGKILL exactly at the end of the grace, TASK_KILLING then TASK_KILLED', async (t) => {
  const h = await startStepExecutor();
  await h.launch(shellTask('stubborn', 'sleep 60', { kill_policy: killPolicy(300) }), 'ignores-sigterm');
  const pid = h.launcher.processes.get('stubborn')!.pid;
  t.same(h.states('stubborn'), ['TASK_STARTING', 'TASK_RUNNING']);
  await h.kill('stubborn');
  t.same(h.signals, [{ pid, signal: 'SIGTERM', at: 0 }], 'SIGTERM to the group at once');
  await h.advance(299);
  t.equal(h.signals.length, 1, 'no SIGKILL before the 300 ms grace');
  await h.advance(1);
  t.same(h.signals.slice(1, 2), [{ pid, signal: 'SIGKILL', at: 300 }], 'SIGKILL at 300 ms');
  t.same(h.states('stubborn'), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_KILLED']);
  t.equal(h.terminal('stubborn')!.message, 'Command terminated with signal Killed');
  t.equal(h.exitCode(), 0, 'last task acknowledged: the executor exits 0');
});

t.test("KILL's own kill_policy overrides the TaskInfo's; a task obeying SIGTERM reports it", async (t) => {
  const h = await startStepExecutor();
  await h.launch(shellTask('polite', 'sleep 60', { kill_policy: killPolicy(60_000) }));
  await h.kill('polite', 200);
  t.same(h.signals.map((s) => s.signal).slice(0, 1), ['SIGTERM']);
  t.equal(h.terminal('polite')!.message, 'Command terminated with signal Terminated');
  t.equal(h.terminal('polite')!.state, 'TASK_KILLED');
});

// As upstream, a shorter grace from a repeated KILL counts from the first SIGTERM.
for (const [secondKillAt, sigkillAt] of [[50, 100], [1_000, 1_000]] as const) {
  t.test(`a repeated KILL (grace 100 ms at ${secondKillAt} ms) brings SIGKILL forward to ${sigkillAt} ms; a longer one does not delay it`, async (t) => {
    const h = await startStepExecutor();
    await h.launch(shellTask('rekill', 'sleep 60'), 'ignores-sigterm');
    await h.kill('rekill', 60_000);
    await h.advance(secondKillAt);
    await h.kill('rekill', 100);
    await h.kill('rekill', 120_000);
    if (sigkillAt > secondKillAt) {
      await h.advance(sigkillAt - secondKillAt - 1);
      t.same(h.signals.map((s) => s.signal), ['SIGTERM'], 'SIGTERM only once, no early SIGKILL');
    }
    await h.advance(sigkillAt > secondKillAt ? 1 : 0);
    t.same(h.signals.at(1), { pid: h.launcher.processes.get('rekill')!.pid, signal: 'SIGKILL', at: sigkillAt });
    t.equal(h.terminal('rekill')!.state, 'TASK_KILLED');
  });
}

t.test('without TASK_KILLING_STATE no TASK_KILLING is sent', async (t) => {
  const h = await startStepExecutor({ capabilities: ['PARTITION_AWARE'] });
  await h.launch(shellTask('plain', 'sleep 60'));
  await h.kill('plain');
  t.same(h.states('plain'), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLED']);
});

t.test('max_completion_time: at the deadline, grace 0 whatever the kill policy, TASK_FAILED with REASON_MAX_COMPLETION_TIME_REACHED, no TASK_KILLING', async (t) => {
  const h = await startStepExecutor();
  await h.launch(shellTask('overtime', 'sleep 60', { max_completion_time: { nanoseconds: 300_000_000n }, kill_policy: killPolicy(60_000) }), 'ignores-sigterm');
  await h.advance(299);
  t.same(h.signals, [], 'nothing before the deadline');
  await h.advance(1);
  t.same(h.signals.map((s) => `${s.signal}@${s.at}`).slice(0, 2), ['SIGTERM@300', 'SIGKILL@300'], 'SIGTERM and SIGKILL at the deadline');
  const s = h.terminal('overtime')!;
  t.equal(s.state, 'TASK_FAILED');
  t.equal(s.reason, 'REASON_MAX_COMPLETION_TIME_REACHED');
  t.equal(s.message, 'Command terminated with signal Killed');
  t.same(h.states('overtime'), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FAILED']);
});

t.test('max_completion_time: a task that SIGTERM ends reports "signal Terminated" (docs/executor.md)', async (t) => {
  const h = await startStepExecutor();
  await h.launch(shellTask('overtime-term', 'sleep 60', { max_completion_time: { nanoseconds: 300_000_000n }, kill_policy: killPolicy(60_000) }));
  await h.advance(300);
  const s = h.terminal('overtime-term')!;
  t.same([s.state, s.reason, s.message], ['TASK_FAILED', 'REASON_MAX_COMPLETION_TIME_REACHED', 'Command terminated with signal Terminated']);
});

t.test('a task that finishes before max_completion_time is not touched and leaves no timer', async (t) => {
  const h = await startStepExecutor();
  await h.launch(shellTask('in-time', 'true', { max_completion_time: { nanoseconds: 60_000_000_000n } }));
  await h.exit('in-time', { code: 0 });
  t.equal(h.terminal('in-time')!.state, 'TASK_FINISHED');
  t.equal(h.exitCode(), 0);
  t.equal(h.clock.pending, 0, 'no timer keeps the executor alive');
});

t.test('group policy: one member failing kills the others TASK_KILLED with its name; all finishing kills nobody', async (t) => {
  const h = await startStepExecutor();
  await h.launchGroup([shellTask('web', 'sleep 60', { kill_policy: killPolicy(500) }), shellTask('side', 'sleep 60'), shellTask('crash', 'exit 7')]);
  await h.exit('crash', { code: 7 });
  t.equal(h.terminal('crash')!.message, 'Command exited with status 7');
  for (const id of ['web', 'side']) {
    const s = h.terminal(id)!;
    t.equal(s.state, 'TASK_KILLED', `${id} killed with the group`);
    t.equal(s.message, "Command terminated with signal Terminated (killed because task 'crash' of its group ended)");
    t.notOk('healthy' in s, 'no health verdict for a plain failure');
  }
  const containers = new Set(h.agent.updates.map((u) => u.container_status?.container_id?.value));
  t.equal(containers.size, 3, 'each task has its own nested container');

  const g = await startStepExecutor();
  await g.launchGroup([shellTask('one', 'true'), shellTask('two', 'true')]);
  for (const id of ['one', 'two']) g.launcher.processes.get(id)!.exit({ code: 0 });
  await g.settle();
  t.same([g.terminal('one')!.state, g.terminal('two')!.state], ['TASK_FINISHED', 'TASK_FINISHED']);
  t.same(g.signals, [], 'no signal: a finished group kills nobody (each container cleans up after its command itself)');
});

t.test('a KILL for one member of a group takes the whole group down', async (t) => {
  const h = await startStepExecutor();
  await h.launchGroup([shellTask('a', 'sleep 60'), shellTask('b', 'sleep 60')]);
  await h.kill('a');
  t.equal(h.terminal('a')!.state, 'TASK_KILLED');
  t.equal(h.terminal('b')!.message, "Command terminated with signal Terminated (killed because task 'a' of its group ended)");
});

t.test('SHUTDOWN: every task gets at most shutdown grace − 2 s, then exit 0 once acknowledged', async (t) => {
  const h = await startStepExecutor({ env: { MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: '2500ms' } });
  for (const id of ['s1', 's2']) h.launcher.behaviours.set(id, 'ignores-sigterm');
  for (const id of ['s1', 's2']) await h.launch(shellTask(id, 'sleep 60', { kill_policy: killPolicy(60_000) }));
  h.agent.event({ type: 'SHUTDOWN' });
  await h.settle();
  await h.advance(499);
  t.equal(h.signals.filter((s) => s.signal === 'SIGKILL').length, 0, 'SIGKILL not before 500 ms');
  await h.advance(1);
  for (const id of ['s1', 's2']) t.equal(h.terminal(id)!.message, 'Command terminated with signal Killed');
  t.equal(h.exitCode(), 0);
});

t.test('a LAUNCH during SHUTDOWN is dropped before it starts (TASK_DROPPED for PARTITION_AWARE)', async (t) => {
  const h = await startStepExecutor();
  await h.launch(shellTask('dying', 'sleep 60', { kill_policy: killPolicy(300) }), 'ignores-sigterm');
  h.agent.event({ type: 'SHUTDOWN' });
  await h.launch(shellTask('late', 'true'));
  t.same(h.states('late'), ['TASK_DROPPED']);
  t.equal(h.terminal('late')!.message, 'Executor is shutting down');
  t.notOk(h.launcher.processes.has('late'), 'never started');
  await h.advance(300);
  t.equal(h.terminal('dying')!.state, 'TASK_KILLED');
  t.equal(h.exitCode(), 0);
});

t.test('recovery timeout: an agent gone for MESOS_RECOVERY_TIMEOUT gets the tasks killed and exit 1, not a millisecond early', async (t) => {
  const h = await startStepExecutor({ env: { MESOS_RECOVERY_TIMEOUT: '500ms', MESOS_SUBSCRIPTION_BACKOFF_MAX: '100ms' } });
  await h.launch(shellTask('orphan', 'sleep 60', { kill_policy: killPolicy(200) }), 'ignores-sigterm');
  h.agent.agentUp = false;
  h.agent.drop();
  await h.advance(499);
  t.equal(h.exitCode(), undefined, 'still waiting for the agent at 499 ms');
  t.same(h.signals, [], 'the task keeps running meanwhile');
  t.ok(h.agent.attempts.length > 3, `reconnection attempts go on (${h.agent.attempts.length})`);
  await h.advance(1);
  t.same(h.signals.map((s) => `${s.signal}@${s.at}`).slice(0, 1), ['SIGTERM@500']);
  await h.advance(200);
  t.equal(h.launcher.processes.get('orphan')!.ended, true, 'the task was killed before the executor left');
  t.equal(h.exitCode(), EXIT_AGENT_LOST);
});

t.test('an agent back within the recovery timeout cancels it; each outage gets a full timeout', async (t) => {
  const h = await startStepExecutor({ env: { MESOS_RECOVERY_TIMEOUT: '2secs', MESOS_SUBSCRIPTION_BACKOFF_MAX: '100ms' } });
  await h.launch(shellTask('patient', 'sleep 60'));
  for (let outage = 0; outage < 2; outage++) {
    h.agent.agentUp = false;
    h.agent.drop();
    await h.advance(1_200);
    h.agent.agentUp = true;
    await h.advance(200);
    t.equal(h.agent.state.kind, 'subscribed', `back after outage ${outage + 1}`);
  }
  t.equal(h.exitCode(), undefined, '2.8 s of outages in all, more than the 2 s timeout: still running');
  t.same(h.signals, []);
  t.equal(h.agent.subscribes.length, 3);
  t.ok(h.agent.attempts.every((ms) => ms >= 0 && ms <= 100), 'reconnections within MESOS_SUBSCRIPTION_BACKOFF_MAX');
});

t.test('without checkpointing a disconnection shuts the executor down and kills its tasks', async (t) => {
  const h = await startStepExecutor({ env: { MESOS_CHECKPOINT: '0' } });
  await h.launch(shellTask('fragile', 'sleep 60', { kill_policy: killPolicy(200) }), 'ignores-sigterm');
  h.agent.drop();
  await h.settle();
  t.equal(h.agent.state.kind, 'closed', 'no reconnection');
  t.same(h.signals.map((s) => s.signal), ['SIGTERM']);
  await h.advance(200);
  t.equal(h.exitCode(), EXIT_AGENT_LOST);
  t.equal(h.launcher.processes.get('fragile')!.ended, true);
});

t.test('reconnect: unacknowledged updates and tasks ride in SUBSCRIBE; one created while away is POSTed after SUBSCRIBED', async (t) => {
  const h = await startStepExecutor();
  h.agent.autoAcknowledge = false;
  await h.launch(shellTask('survivor', 'sleep 60'));
  const [starting, running] = h.agent.updates;
  h.agent.agentUp = false;
  h.agent.drop();
  await h.exit('survivor', { code: 4 });
  h.agent.agentUp = true;
  h.agent.autoAcknowledge = true;
  await h.advance(2_000);
  const subscribe = h.agent.subscribes.at(-1)!;
  t.same(subscribe.unacknowledged_updates?.slice(0, 2).map((u) => u.status.uuid), [starting!.uuid, running!.uuid], 'original UUIDs');
  t.same(subscribe.unacknowledged_updates?.map((u) => u.status.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FAILED'], 'all three, in order, original UUIDs');
  t.same(subscribe.unacknowledged_tasks?.map((i) => i.task_id.value), ['survivor'], 'the task is listed as unacknowledged');
  t.same(h.states('survivor'), ['TASK_STARTING', 'TASK_RUNNING'], 'nothing carried is POSTed again');
  h.agent.acknowledge(starting!);
  h.agent.acknowledge(running!);
  h.agent.acknowledge(subscribe.unacknowledged_updates![2]!.status);
  await h.settle();
  t.equal(h.exitCode(), 0);
});

t.test('acknowledgement bookkeeping: the fail-safe exits 1 exactly 60 s after the last terminal update if it is never acknowledged', async (t) => {
  const h = await startStepExecutor();
  h.agent.autoAcknowledge = false;
  await h.launch(shellTask('unacked', 'true'));
  await h.exit('unacked', { code: 0 });
  for (const s of h.agent.updates.slice(0, 2)) h.agent.acknowledge(s);
  await h.advance(ACK_FAILSAFE_MS - 1);
  t.equal(h.exitCode(), undefined, 'still waiting at 59.999 s');
  await h.advance(1);
  t.equal(h.exitCode(), EXIT_AGENT_LOST);
});

t.test('acknowledgement bookkeeping: an unknown UUID changes nothing; a new LAUNCH cancels the fail-safe', async (t) => {
  const h = await startStepExecutor();
  h.agent.autoAcknowledge = false;
  await h.launch(shellTask('first', 'true'));
  await h.exit('first', { code: 0 });
  h.agent.event({ type: 'ACKNOWLEDGED', acknowledged: { task_id: { value: 'first' }, uuid: Buffer.alloc(16, 7) } });
  await h.advance(ACK_FAILSAFE_MS - 1);
  h.agent.autoAcknowledge = true;
  await h.launch(shellTask('second', 'sleep 60'));
  await h.advance(10);
  t.equal(h.exitCode(), undefined, 'the fail-safe armed for the first task did not fire');
  for (const s of h.agent.updates.filter((u) => u.task_id.value === 'first')) h.agent.acknowledge(s);
  await h.exit('second', { code: 0 });
  t.equal(h.exitCode(), 0);
});

function recordingChecks(): { factory: TaskCheckFactory; contexts: TaskCheckContext[]; calls: string[] } {
  const contexts: TaskCheckContext[] = [];
  const calls: string[] = [];
  const record = (call: string) => () => void calls.push(call);
  const runner = { pause: record('pause'), resume: record('resume'), stop: record('stop'), describeKill: () => 'HTTP health check failed 3 of 3: status 503', resetHealthFailures: record('reset') };
  const factory: TaskCheckFactory = { parse: () => ({ ok: true, definitions: {} }), create: (_definitions, context) => (contexts.push(context), runner) };
  return { factory, contexts, calls };
}

const healthChecked = (id: string) =>
  shellTask(id, 'sleep 60', { health_check: { type: 'HTTP', http: { port: 1, path: '/' } }, kill_policy: killPolicy(1_000) });

t.test('check-driven kill: the health kill ends TASK_KILLED healthy=false with the check named; the group goes unhealthy too', async (t) => {
  const checks = recordingChecks();
  const h = await startStepExecutor({ executor: { checkFactory: checks.factory } });
  await h.launchGroup([healthChecked('sick'), shellTask('buddy', 'sleep 60')]);
  checks.contexts[0]!.reportHealth({ healthy: false, kill: true, message: 'status 503' });
  await h.settle();
  t.same(h.states('sick').slice(2), ['TASK_RUNNING', 'TASK_KILLING', 'TASK_KILLED'], 'the unhealthy update, then the kill');
  const killed = h.terminal('sick')!;
  t.equal(killed.healthy, false);
  t.equal(killed.message, 'Command terminated with signal Terminated (killed by health check: HTTP health check failed 3 of 3: status 503)');
  t.equal(h.terminal('buddy')!.healthy, false, 'a sibling killed with the group is reported unhealthy');
  t.same(checks.calls.slice(0, 2), ['pause', 'stop'], 'paused when the kill started, stopped at termination');
});

t.test('checks pause on the disconnection of a subscription and resume once SUBSCRIBED, once each', async (t) => {
  const checks = recordingChecks();
  const h = await startStepExecutor({ executor: { checkFactory: checks.factory } });
  await h.launch(healthChecked('watched'));
  h.agent.agentUp = false;
  h.agent.drop();
  await h.advance(5_000);
  t.same(checks.calls, ['pause'], 'failed attempts while away pause nothing again');
  checks.contexts[0]!.reportHealth({ healthy: false, kill: false, message: 'late' });
  h.agent.agentUp = true;
  await h.advance(2_000);
  t.same(checks.calls, ['pause', 'resume']);
  await h.launch(healthChecked('fresh'));
  t.same(checks.calls, ['pause', 'resume'], 'a task started while subscribed is neither paused nor resumed');
});
