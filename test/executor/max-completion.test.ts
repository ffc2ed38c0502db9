// The message of a max_completion_time kill, as docs/executor.md states it: grace 0 means
// SIGTERM and SIGKILL right after it, so a task that dies of SIGTERM reports
// "signal Terminated", and only one that ignores SIGTERM "signal Killed".
import t from 'tap';
import path from 'node:path';
import { fixture, killPolicy, shellTask, startExecutor, uniqueId } from '../helpers/tasks.js';
import { waitForFile } from '../helpers/wait.js';

t.test('json: a task that SIGTERM ends reports "signal Terminated", TASK_FAILED, REASON_MAX_COMPLETION_TIME_REACHED', async (t) => {
  const { agent } = await startExecutor(t, 'json');
  const id = uniqueId('overtime-term');
  agent.launch(shellTask(id, 'exec sleep 60', { max_completion_time: { nanoseconds: 300_000_000n }, kill_policy: killPolicy(60_000) }));
  const s = await agent.waitForTerminal(id);
  t.equal(s.state, 'TASK_FAILED');
  t.equal(s.reason, 'REASON_MAX_COMPLETION_TIME_REACHED');
  t.equal(s.message, 'Command terminated with signal Terminated');
});

t.test('protobuf: a task that ignores SIGTERM reports "signal Killed"', async (t) => {
  const { agent } = await startExecutor(t, 'protobuf');
  const id = uniqueId('overtime-stubborn');
  // Long enough for the fixture to install its trap (it writes `pid` once it has) first.
  agent.launch(shellTask(id, `exec ${fixture('ignore-term.sh')}`, { max_completion_time: { nanoseconds: 3_000_000_000n }, kill_policy: killPolicy(60_000) }));
  await waitForFile(path.join(agent.sandbox, 'tasks', id, 'pid'));
  t.notOk(agent.updates.some((u) => u.status.task_id.value === id && u.status.state === 'TASK_FAILED'), 'the trap was in place before the deadline');
  const s = await agent.waitForTerminal(id);
  t.equal(s.state, 'TASK_FAILED');
  t.equal(s.reason, 'REASON_MAX_COMPLETION_TIME_REACHED');
  t.equal(s.message, 'Command terminated with signal Killed');
});
