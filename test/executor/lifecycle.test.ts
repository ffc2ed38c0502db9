// Launch → STARTING → RUNNING → FINISHED/FAILED through the real wire, in both encodings.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ENCODINGS, argvTask, shellTask, startExecutor, uniqueId } from '../helpers/tasks.js';

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: a task that exits 0 goes STARTING, RUNNING, FINISHED and the executor exits 0`, async (t) => {
    const { agent, exec } = await startExecutor(t, encoding);
    const id = uniqueId('ok');
    agent.launch(shellTask(id, 'echo "hello $MESOS_TASK_ID"; echo oops >&2'));
    const terminal = await agent.waitForTerminal(id);
    t.equal(terminal.state, 'TASK_FINISHED');
    t.equal(terminal.message, 'Command exited with status 0');
    const states = agent.updates.filter((u) => u.status.task_id.value === id).map((u) => u.status.state);
    t.same(states, ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
    for (const u of agent.updates) {
      t.equal(u.contentType, encoding === 'json' ? 'application/json' : 'application/x-protobuf');
      t.equal(u.status.source, 'SOURCE_EXECUTOR');
      t.equal(u.status.executor_id?.value, agent.executorId);
      t.equal(u.status.uuid?.length, 16);
      t.same(u.status.container_status?.container_id?.parent, agent.containerId, 'task container nested under the executor container');
      t.ok(Math.abs(u.status.timestamp! - Date.now() / 1000) < 60, 'timestamp in seconds');
    }
    t.equal(new Set(agent.updates.map((u) => u.status.uuid!.toString('hex'))).size, 3, 'fresh uuid per update');
    const sandbox = path.join(agent.sandbox, 'tasks', id);
    t.equal(readFileSync(path.join(sandbox, 'stdout'), 'utf8'), `hello ${id}\n`);
    t.equal(readFileSync(path.join(sandbox, 'stderr'), 'utf8'), 'oops\n');
    t.same(await exec.exited, { code: 0, signal: null }, 'executor exits 0 once the terminal update is acknowledged');
  });

  t.test(`${encoding}: a task that exits 3 ends TASK_FAILED naming the exit status`, async (t) => {
    const { agent, exec } = await startExecutor(t, encoding);
    const id = uniqueId('fail');
    agent.launch(argvTask(id, ['/bin/sh', '-c', 'exit 3']));
    await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
    const terminal = await agent.waitForTerminal(id);
    t.equal(terminal.state, 'TASK_FAILED');
    t.equal(terminal.message, 'Command exited with status 3');
    t.equal((await exec.exited).code, 0);
  });
}
