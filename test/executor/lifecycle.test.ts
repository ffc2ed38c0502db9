// Launch → STARTING → RUNNING → FINISHED/FAILED through the real wire, in both encodings.
import t from 'tap';
import { requireRoot } from '../helpers/wait.js';
import { readFileSync, statSync } from 'node:fs';
import { resolveUser } from '../../process/user.js';
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

t.test('CommandInfo.user runs the task as that user (the executor runs as root here)', async (t) => {
  if (!requireRoot(t, 'CommandInfo.user')) return;
  const { agent } = await startExecutor(t, 'protobuf');
  const id = uniqueId('as-nobody');
  agent.launch(shellTask(id, 'id -un; echo "$HOME"; pwd', { command: { shell: true, value: 'id -un; echo "$HOME"; pwd', user: 'nobody' } }));
  t.equal((await agent.waitForTerminal(id)).state, 'TASK_FINISHED');
  const sandbox = path.join(agent.sandbox, 'tasks', id);
  const [user, , cwd] = readFileSync(path.join(sandbox, 'stdout'), 'utf8').trim().split('\n');
  t.equal(user, 'nobody');
  t.equal(cwd, sandbox, 'working directory is the task sandbox');
  t.equal(statSync(path.join(sandbox, 'stdout')).uid, resolveUser('nobody').uid, 'the output files belong to the task user');
});

t.test('the task environment: MESOS_SANDBOX, MESOS_TASK_ID, role, CommandInfo.environment wins, no agent token', async (t) => {
  const { agent } = await startExecutor(t, 'json', { executorAuthToken: 'agent-secret' });
  const id = uniqueId('env');
  agent.launch(
    shellTask(id, 'env', {
      command: { shell: true, value: 'env', environment: { variables: [{ name: 'MESOS_TASK_ID', value: 'overridden' }, { name: 'GREETING', value: 'hi' }, { name: 'S', type: 'SECRET', secret: { type: 'REFERENCE', reference: { name: 'x' } } }] } },
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, allocation_info: { role: 'web' } }],
    }),
  );
  t.equal((await agent.waitForTerminal(id)).state, 'TASK_FINISHED');
  const env = Object.fromEntries(
    readFileSync(path.join(agent.sandbox, 'tasks', id, 'stdout'), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  t.equal(env.MESOS_SANDBOX, path.join(agent.sandbox, 'tasks', id));
  t.equal(env.MESOS_TASK_ID, 'overridden', 'CommandInfo.environment has the last word');
  t.equal(env.GREETING, 'hi');
  t.equal(env.MESOS_ALLOCATION_ROLE, 'web');
  t.equal(env.MESOS_CONTAINER_IP, '127.0.0.1');
  t.equal(env.MESOS_FRAMEWORK_ID, agent.frameworkId, "the executor's own environment is inherited");
  t.notOk('S' in env, 'SECRET variables are skipped');
  t.notOk('MESOS_EXECUTOR_AUTHENTICATION_TOKEN' in env, 'the agent token never reaches a task');
});

t.test('MESOS_DOMAIN_SOCKET: the executor speaks HTTP over the agent unix socket', async (t) => {
  // The TCP endpoint points nowhere: only the socket can work.
  const { agent, exec } = await startExecutor(t, 'protobuf', { domainSocket: true }, { MESOS_AGENT_ENDPOINT: '127.0.0.1:9', MESOS_SLAVE_PID: 'slave(1)@127.0.0.1:9' });
  t.ok(agent.socketPath);
  const id = uniqueId('via-socket');
  agent.launch(shellTask(id, 'true'));
  t.equal((await agent.waitForTerminal(id)).state, 'TASK_FINISHED');
  t.equal((await exec.exited).code, 0);
});
