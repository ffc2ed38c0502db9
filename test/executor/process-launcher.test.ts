import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { commandArgv, resolveExecutable } from '../../executor/process-launcher.js';
import { buildTaskEnvironment, taskSandbox } from '../../executor/task-environment.js';

t.test('shell form runs /bin/sh -c and ignores arguments; argv form uses arguments as the full argv', async (t) => {
  t.same(commandArgv({ value: 'echo hi', arguments: ['x'] }), { file: '/bin/sh', args: ['-c', 'echo hi'], argv0: 'sh' }, 'shell defaults to true');
  t.same(commandArgv({ shell: false, value: '/usr/bin/env', arguments: ['env', '-i', 'A=1'] }), { file: '/usr/bin/env', args: ['-i', 'A=1'], argv0: 'env' });
  t.same(commandArgv({ shell: false, value: 'true' }), { file: 'true', args: [], argv0: 'true' }, 'no arguments: argv0 is the value');
  t.throws(() => commandArgv({ shell: true }), { code: 'E_LAUNCH', message: /CommandInfo\.value is not set/ });
});

t.test('executables are looked up like execvp; a missing one is a LaunchError naming it', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'launcher-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(resolveExecutable('sh', '/nonexistent:/bin', dir), '/bin/sh');
  t.equal(resolveExecutable('/bin/sh', undefined, dir), '/bin/sh');
  t.throws(() => resolveExecutable('no-such-program-xyz', '/bin:/usr/bin', dir), { code: 'E_LAUNCH', message: "Failed to execute 'no-such-program-xyz': no such executable file on PATH" });
  t.throws(() => resolveExecutable('./server', '/bin', dir), { code: 'E_LAUNCH', message: "Failed to execute './server': no such executable file" }, 'relative to the task sandbox');
});

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
