// Each bad input gets a typed reaction, a log line, and loses nothing.
import t, { type Test } from 'tap';
import path from 'node:path';
import { encodeRecord } from '../../proto/recordio.js';
import { AgentEmulator } from '../../agent/emulator.js';
import { ENCODINGS, argvTask, fixture, logLines, quietLogger, shellTask, startExecutor, uniqueId, type Harness } from '../helpers/tasks.js';
import { waitForFile } from '../helpers/wait.js';

/** A running sleeper task, so we can see it survive whatever the stream does. */
async function runningTask(h: Harness): Promise<{ id: string; pid: number }> {
  const id = uniqueId('keeps-running');
  h.agent.launch(shellTask(id, `exec ${fixture('sleeper.sh')}`));
  const pid = Number(await waitForFile(path.join(h.agent.sandbox, 'tasks', id, 'pid')));
  await h.agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
  return { id, pid };
}

/** The task is still the same live process: a KILL ends it with SIGTERM, not earlier. */
async function killAndCheck(t: Test, h: Harness, id: string): Promise<void> {
  h.agent.kill(id);
  const s = await h.agent.waitForTerminal(id);
  t.equal(s.state, 'TASK_KILLED');
  t.equal(s.message, 'Command terminated with signal Terminated', 'it was still running when killed');
  t.equal((await h.exec.exited).code, 0);
}

for (const encoding of ENCODINGS) {
  const badEvent = encoding === 'json' ? Buffer.from('{"type":"LAUNCH","launch":') : Buffer.from([0x22, 0x05, 0x0a]);
  const faults: Array<[string, Buffer, string]> = [
    ['a malformed RecordIO length line', Buffer.from('12x\n{}'), 'E_RECORDIO_LENGTH'],
    ['an oversized RecordIO record', Buffer.from('99999999999\n'), 'E_RECORDIO_TOO_LARGE'],
    ['an undecodable event', encodeRecord(badEvent), 'E_CODEC'],
  ];
  for (const [what, bytes, code] of faults) {
    t.test(`${encoding}: ${what} on the event stream: logged, connection dropped, re-subscribed, task keeps running`, async (t) => {
      const h = await startExecutor(t, encoding, { subscriptionBackoffMax: '100ms' });
      const { id } = await runningTask(h);
      const again = h.agent.waitForSubscribed();
      h.agent.sendRaw(bytes);
      const call = await again;
      t.same(call.subscribe?.unacknowledged_updates ?? [], [], 'nothing was pending');
      const line = logLines(h.exec).find((l) => (l.err as { code?: string } | undefined)?.code === code);
      t.ok(line, `a log line carries the typed error ${code}`);
      await killAndCheck(t, h, id);
    });
  }

  t.test(`${encoding}: an unknown event type is logged and ignored, without reconnecting`, async (t) => {
    const h = await startExecutor(t, encoding);
    let subscribes = 0;
    h.agent.on('subscribe', () => subscribes++);
    const { id } = await runningTask(h);
    // Event.type = 99 in protobuf; an enum name nobody knows in JSON.
    h.agent.sendRaw(encodeRecord(encoding === 'json' ? Buffer.from('{"type":"TELEPORT"}') : Buffer.from([0x08, 0x63])));
    h.agent.sendHeartbeat();
    await killAndCheck(t, h, id);
    t.equal(subscribes, 0, 'no re-subscription');
    t.ok(logLines(h.exec).some((l) => l.msg === 'unknown event type; ignored'), 'logged');
  });

  for (const status of [503, 400]) {
    t.test(`${encoding}: UPDATE answered ${status} is retried, never dropped, order kept`, async (t) => {
      const h = await startExecutor(t, encoding);
      h.agent.failNextUpdates(3, status);
      const id = uniqueId('retried');
      h.agent.launch(shellTask(id, 'true'));
      t.equal((await h.agent.waitForTerminal(id)).state, 'TASK_FINISHED');
      t.same(h.agent.updates.map((u) => u.status.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED'], 'all three arrived, once each, in order');
      t.equal((await h.exec.exited).code, 0);
      // Only the agent's refusals count: on a loaded machine a post can also fail otherwise
      // (a timeout), which is logged and retried the same way.
      const refusals = logLines(h.exec).filter((l) => l.msg === 'status update was not accepted by the agent; retrying' && String((l.err as { message?: string } | undefined)?.message).includes(String(status)));
      t.equal(refusals.length, 3, `each ${status} refusal logged, with its status`);
    });
  }
}

t.test('bad TaskInfos end TASK_FAILED with a message naming the cause', async (t) => {
  const h = await startExecutor(t, 'json');
  const noCommand = uniqueId('no-command');
  const badUser = uniqueId('bad-user');
  const missing = uniqueId('missing-exe');
  h.agent.launch({ name: noCommand, task_id: { value: noCommand }, agent_id: { value: 'a' } });
  h.agent.launch(shellTask(badUser, 'true', { command: { shell: true, value: 'true', user: 'no-such-user-xyz' } }));
  h.agent.launch(argvTask(missing, ['/nonexistent/bin/server', '--port', '80']));

  const a = await h.agent.waitForTerminal(noCommand);
  t.equal(a.state, 'TASK_FAILED');
  t.equal(a.reason, 'REASON_TASK_INVALID');
  t.match(a.message, /TaskInfo\.command/);

  const b = await h.agent.waitForTerminal(badUser);
  t.equal(b.state, 'TASK_FAILED');
  t.match(b.message, /no-such-user-xyz/);

  const c = await h.agent.waitForTerminal(missing);
  t.equal(c.state, 'TASK_FAILED');
  t.match(c.message, /\/nonexistent\/bin\/server/);

  const states = (id: string) => h.agent.updates.filter((u) => u.status.task_id.value === id).map((u) => u.status.state);
  t.same(states(noCommand), ['TASK_FAILED'], 'invalid definition: never started');
  t.same(states(badUser), ['TASK_STARTING', 'TASK_FAILED'], 'launch failure: after TASK_STARTING');
  t.same(states(missing), ['TASK_STARTING', 'TASK_FAILED']);
  t.equal((await h.exec.exited).code, 0);
});

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: a TaskInfo out of bounds (negative max_completion_time, a 0-column TTY) ends TASK_ERROR naming the field, never started`, async (t) => {
    const h = await startExecutor(t, encoding);
    const negative = uniqueId('negative-max-completion');
    const narrow = uniqueId('zero-columns');
    h.agent.launch(shellTask(negative, 'true', { max_completion_time: { nanoseconds: -1_000_000n } }));
    h.agent.launch(shellTask(narrow, 'true', { container: { type: 'MESOS', tty_info: { window_size: { columns: 0, rows: 24 } } } }));
    const a = await h.agent.waitForTerminal(negative);
    t.equal(a.state, 'TASK_ERROR');
    t.equal(a.reason, 'REASON_TASK_INVALID');
    t.equal(a.message, 'TaskInfo.max_completion_time must be >= 0, got -1000000ns');
    const b = await h.agent.waitForTerminal(narrow);
    t.equal(b.state, 'TASK_ERROR');
    t.equal(b.message, 'TaskInfo.container.tty_info.window_size.columns must be between 1 and 65535, got 0');
    for (const id of [negative, narrow]) {
      t.same(h.agent.updates.filter((u) => u.status.task_id.value === id).map((u) => u.status.state), ['TASK_ERROR'], `${id}: never started`);
    }
    t.equal((await h.exec.exited).code, 0);
  });
}

// Which values are refused, each naming its variable, is env.test.ts' table; here, that
// such a refusal ends the real process with exit 2 and the variable on stderr.
t.test('missing or malformed MESOS_* variables: exit non-zero, stderr names the variable', async (t) => {
  const agent = await AgentEmulator.start({ logger: quietLogger() });
  t.teardown(() => agent.close());
  const cases: Array<[string, Record<string, string>]> = [
    ['MESOS_FRAMEWORK_ID', { MESOS_FRAMEWORK_ID: '' }],
    ['MESOS_RECOVERY_TIMEOUT', { MESOS_RECOVERY_TIMEOUT: '15 minutes' }],
  ];
  for (const [variable, env] of cases) {
    const exec = agent.spawnExecutor({ env });
    const exit = await exec.exited;
    t.equal(exit.code, 2, `${variable}: exit code 2`);
    t.ok(exec.stderrLines.some((l) => l.startsWith(`mesos-sidecar-executor: ${variable}:`)), `${variable}: named on stderr`);
  }
  // Unset entirely (not just empty): the agent endpoint and its UPID fallback.
  const env = agent.executorEnvironment();
  delete env.MESOS_AGENT_ENDPOINT;
  delete env.MESOS_SLAVE_PID;
  const exec = agent.spawnExecutor({ command: ['/usr/bin/env', '-u', 'MESOS_AGENT_ENDPOINT', '-u', 'MESOS_SLAVE_PID', process.execPath, fixture('../../bin/mesos-sidecar-executor')] });
  t.equal((await exec.exited).code, 2);
  t.ok(exec.stderrLines.some((l) => l.includes('MESOS_AGENT_ENDPOINT: is required')), 'names MESOS_AGENT_ENDPOINT');
});
