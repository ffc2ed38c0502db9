// KILL through the real wire and real processes: SIGTERM to the task's process group,
// SIGKILL after the grace period, TASK_KILLING first, TASK_KILLED last. The kill policy's
// decisions (repeated KILL, capabilities, max_completion_time) are step tests (steps.test.ts).
// Tasks here run without isolation (MESOS_SIDECAR_ISOLATION=none): the fixtures report their
// pids as the host sees them, and the process-group path is the one an unprivileged
// executor takes. Kills of real containers: containers.test.ts.
import t from 'tap';
import path from 'node:path';
import { ENCODINGS, fixture, killPolicy, shellTask, startExecutor, uniqueId } from '../helpers/tasks.js';
import { processGone, until, waitForFile } from '../helpers/wait.js';

const NO_ISOLATION = { MESOS_SIDECAR_ISOLATION: 'none' };

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: a task ignoring SIGTERM is SIGKILLed after its 300 ms grace and ends TASK_KILLED`, async (t) => {
    const { agent, exec } = await startExecutor(t, encoding, {}, NO_ISOLATION);
    const id = uniqueId('stubborn');
    agent.launch(shellTask(id, `exec ${fixture('ignore-term.sh')}`, { kill_policy: killPolicy(300) }));
    const pid = Number(await waitForFile(path.join(agent.sandbox, 'tasks', id, 'pid')));
    await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
    agent.kill(id);
    const killing = await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_KILLING');
    const killed = await agent.waitForTerminal(id);
    t.equal(killed.state, 'TASK_KILLED');
    t.equal(killed.message, 'Command terminated with signal Killed', 'SIGTERM was ignored, SIGKILL ended it');
    const elapsed = (killed.timestamp! - killing.timestamp!) * 1000;
    t.ok(elapsed >= 290, `SIGKILL came after the grace period (${elapsed.toFixed(0)} ms)`);
    t.ok(elapsed < 3000, 'and not the 3 s default');
    await until(() => processGone(pid), `task ${pid} to be gone`);
    t.same(await exec.exited, { code: 0, signal: null });
  });

  t.test(`${encoding}: KILL's own kill_policy overrides the TaskInfo's, and grandchildren die too`, async (t) => {
    const { agent } = await startExecutor(t, encoding, {}, NO_ISOLATION);
    const id = uniqueId('family');
    agent.launch(shellTask(id, `exec ${fixture('grandchild.sh')}`, { kill_policy: killPolicy(60_000) }));
    const grandchild = Number(await waitForFile(path.join(agent.sandbox, 'tasks', id, 'grandchild.pid')));
    t.notOk(processGone(grandchild), 'grandchild runs');
    agent.kill(id, 200);
    const killed = await agent.waitForTerminal(id);
    t.equal(killed.state, 'TASK_KILLED');
    t.equal(killed.message, 'Command terminated with signal Terminated', 'the task itself obeyed SIGTERM');
    await until(() => processGone(grandchild), `grandchild ${grandchild} to be gone`);
    t.pass('grandchild that ignored SIGTERM is gone');
  });
}
