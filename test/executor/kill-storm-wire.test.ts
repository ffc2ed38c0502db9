// The kill-storm guard over the real executor wire, both encodings: the executor in-process
// on a ManualClock against the agent emulator, real task processes, and a checks factory
// whose reports the test makes (the gate's timing is the clock's, not the probes').
import t from 'tap';
import { parseTaskChecks } from '../../checks/definitions.js';
import type { HealthReport, TaskCheckContext, TaskCheckFactory } from '../../contracts/checks.js';
import type { mesos } from '../../proto/codec.js';
import { ENCODINGS, killPolicy, shellTask, startInProcessExecutor, uniqueId } from '../helpers/tasks.js';

function reportingChecks(): { factory: TaskCheckFactory; contexts: Map<string, TaskCheckContext> } {
  const contexts = new Map<string, TaskCheckContext>();
  const factory: TaskCheckFactory = {
    // The real parsing: the executor tracks the health checks it finds in the definitions.
    parse: (task) => ({ ok: true, definitions: parseTaskChecks(task) }),
    create: (_definitions, context) => {
      contexts.set(context.taskId, context);
      return { pause: () => {}, resume: () => {}, stop: () => {}, describeKill: () => 'HTTP health check failed 3 of 3: status 503', resetHealthFailures: () => {} };
    },
  };
  return { factory, contexts };
}

const failed = (n: number): HealthReport => ({ healthy: false, kill: n >= 3, message: `HTTP health check failed ${n} of 3: status 503` });

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: three of four failing together are held with counts; after the share drops, a task failing alone is killed`, async (t) => {
    const checks = reportingChecks();
    const { agent, clock } = await startInProcessExecutor(t, encoding, {}, { checkFactory: checks.factory });
    const ids = [1, 2, 3, 4].map((n) => uniqueId(`storm${n}`));
    for (const id of ids) {
      agent.launch(shellTask(id, 'exec sleep 1000', { health_check: { type: 'HTTP', http: { port: 1 }, interval_seconds: 1, timeout_seconds: 1 }, kill_policy: killPolicy(0) }));
      await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
    }
    const [a, b, c, d] = ids as [string, string, string, string];
    const health = (id: string, r: HealthReport): Promise<mesos.TaskStatus> => {
      checks.contexts.get(id)!.reportHealth(r);
      return agent.waitForUpdate((s) => s.task_id.value === id && s.reason === 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED');
    };
    await health(d, { healthy: true, kill: false, message: 'HTTP health check passed: status 200' });
    for (const id of [a, b, c]) await health(id, failed(1));
    for (const id of [a, b, c]) {
      const held = await health(id, failed(3));
      t.equal(held.state, 'TASK_RUNNING', 'not killed');
      t.match(held.message, /; kill held: 3 of 4 health-checked tasks of this executor failed together \(kill-storm guard: more than 50% and at least 3\)/, 'the update says why, with the counts');
    }
    clock.advance(500);
    await health(b, { healthy: true, kill: false, message: 'HTTP health check passed after 3 failures: status 200' });
    await health(a, failed(3));
    const killed = await agent.waitForTerminal(a);
    t.equal(killed.state, 'TASK_KILLED', 'the share dropped to 2 of 4: the next kill goes ahead');
    t.match(killed.message, /killed by health check/);
    for (const id of [b, c, d]) agent.kill(id, 0);
    for (const id of [b, c, d]) await agent.waitForTerminal(id);
  });
}
