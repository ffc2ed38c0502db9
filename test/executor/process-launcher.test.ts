import t from 'tap';
import { buildTaskEnvironment, taskSandbox } from '../../executor/task-environment.js';

t.test('task sandboxes: <sandbox>/tasks/<task_id>; ids that cannot name a directory are TaskInvalidErrors', async (t) => {
  t.equal(taskSandbox('/sb', 'web.1'), '/sb/tasks/web.1');
  for (const bad of ['', '.', '..', 'a/b', 'a\0b']) {
    t.throws(() => taskSandbox('/sb', bad), { code: 'E_TASK_INVALID', message: /cannot name a sandbox directory/ }, JSON.stringify(bad));
  }
});

t.test('task environment: PATH default when nothing sets one', async (t) => {
  const env = buildTaskEnvironment({ executorEnvironment: {}, taskId: 't', allocationRole: undefined, variables: [], sandbox: '/sb/tasks/t', containerIp: '127.0.0.1' });
  t.match(env.PATH, /\/usr\/bin/);
  t.notOk('MESOS_ALLOCATION_ROLE' in env, 'no role without allocation_info');
});
