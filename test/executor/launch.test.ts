// From TaskInfo to Task without processes: ready (sandbox, nested container ID, environment),
// refused at the edge (kept, terminated, the field named), and a task_id that cannot name
// a sandbox (no Task at all).
import t from 'tap';
import { prepareTask, type LaunchContext } from '../../executor/launch.js';
import { shellTask } from '../helpers/tasks.js';

const context: LaunchContext = {
  contentType: 'application/json',
  executorSandbox: '/sb',
  executorEnvironment: { PATH: '/bin', MESOS_EXECUTOR_AUTHENTICATION_TOKEN: 'secret' },
  executorContainerId: { value: 'executor-container' },
  newContainerId: () => 'task-container',
  now: () => 42,
};

t.test('ready: sandbox tasks/<id>, container nested in the executor, environment with the command variables', async (t) => {
  const info = shellTask('web', 'true', {
    command: { value: 'true', user: 'nobody', environment: { variables: [{ name: 'PORT', value: '8080' }] } },
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, allocation_info: { role: 'prod' } }],
  });
  const prepared = prepareTask(info, 3, context);
  if (prepared.kind !== 'ready') {
    t.fail(prepared.kind);
    return;
  }
  const { task, spec } = prepared;
  t.equal(task.workingDirectory, '/sb/tasks/web');
  t.strictSame(task.containerId, { value: 'task-container', parent: { value: 'executor-container' } });
  t.equal(task.user, 'nobody');
  t.equal(task.groupId, 3);
  t.equal(task.launchedAt, 42);
  t.equal(task.phase.kind, 'starting');
  t.equal(task.spec, spec);
  t.match(task.environment, { PATH: '/bin', PORT: '8080', MESOS_TASK_ID: 'web', MESOS_SANDBOX: '/sb/tasks/web', MESOS_ALLOCATION_ROLE: 'prod', MESOS_CONTAINER_IP: '127.0.0.1' });
  t.notOk('MESOS_EXECUTOR_AUTHENTICATION_TOKEN' in task.environment, "the agent's token stays with the executor");
  const early = prepareTask(shellTask('early', 'true'), undefined, { ...context, executorContainerId: undefined });
  t.strictSame(early.kind === 'ready' && early.task.containerId, { value: 'task-container' }, 'before SUBSCRIBED: no parent');
});

t.test('refused: a terminated Task that is kept, with the field and the state to report', async (t) => {
  const prepared = prepareTask(shellTask('nocmd', ''), undefined, context);
  if (prepared.kind !== 'refused') {
    t.fail(prepared.kind);
    return;
  }
  t.equal(prepared.field, 'TaskInfo.command.value');
  t.equal(prepared.state, 'TASK_FAILED');
  t.equal(prepared.message, 'Task has no command: TaskInfo.command.value is not set');
  t.equal(prepared.task.phase.kind, 'terminated');
  t.equal(prepared.task.info.task_id.value, 'nocmd', 'the TaskInfo travels on for SUBSCRIBE');
});

t.test("no-sandbox: a task_id like '..' gets no Task", async (t) => {
  const prepared = prepareTask(shellTask('..', 'true'), undefined, context);
  t.equal(prepared.kind, 'no-sandbox');
  t.match(prepared.kind === 'no-sandbox' && prepared.message, /cannot name a sandbox directory/);
});
