// exec --hold-checks on the real wire: the executor as a child process against the agent
// emulator (both encodings), its switchboard configured by the environment (tokens, ACL,
// the operator's maximum), a task with a real COMMAND health check that the test makes
// fail by creating a file. While a session with Mesos-Sidecar-Hold-Health-Kills lives the
// failing task is not killed and its updates say who holds it; after the session ends the
// count restarts and the task is killed. Without HOLD_HEALTH_KILLS: 403, audited.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { mesos } from '../../proto/codec.js';
import { HEALTH_KILL_HOLD_LABEL } from '../../contracts/task-view.js';
import { SWITCHBOARD_HEADERS, SWITCHBOARD_URL_LABEL } from '../../contracts/switchboard.js';
import { isOutputStream, SwitchboardClient } from '../../switchboard/client.js';
import { ENCODINGS, logLines, shellTask, startExecutor, uniqueId, type Encoding } from '../helpers/tasks.js';
import { launchCall } from './harness.js';
import { until } from '../helpers/wait.js';

const MEDIA = { json: 'application/json', protobuf: 'application/x-protobuf' } as const;
const ACL = {
  principals: {
    ops: { calls: ['LAUNCH_NESTED_CONTAINER_SESSION', 'WAIT_CONTAINER', 'GET_TASKS', 'HOLD_HEALTH_KILLS'], tasks: ['*'] },
    viewer: { calls: ['LAUNCH_NESTED_CONTAINER_SESSION', 'WAIT_CONTAINER', 'GET_TASKS'], tasks: ['*'] },
  },
};

async function stack(t: Test, encoding: Encoding) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-hold-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tokenFile = path.join(dir, 'tokens');
  writeFileSync(tokenFile, 'ops:ops-token\nviewer:viewer-token\n', { mode: 0o600 });
  const aclFile = path.join(dir, 'acl.json');
  writeFileSync(aclFile, JSON.stringify(ACL));
  const { agent, exec } = await startExecutor(t, encoding, {}, {
    MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE: tokenFile,
    MESOS_SIDECAR_SWITCHBOARD_ACL: aclFile,
    MESOS_SIDECAR_SWITCHBOARD_MAX_HEALTH_KILL_HOLD: '10mins',
  });
  const sick = path.join(dir, 'sick');
  const id = uniqueId('held');
  // Healthy until `sick` exists; 2 failures kill; probes every 0.2 s.
  agent.launch(
    shellTask(id, 'exec sleep 1000', {
      health_check: { type: 'COMMAND', command: { shell: true, value: `test ! -e ${sick}` }, delay_seconds: 0, interval_seconds: 0.2, timeout_seconds: 5, grace_period_seconds: 0, consecutive_failures: 2 },
      kill_policy: { grace_period: { nanoseconds: 0n } },
    }),
  );
  const healthy = await agent.waitForUpdate((s) => s.task_id.value === id && s.healthy === true);
  const url = healthy.labels!.labels!.find((l) => l.key === SWITCHBOARD_URL_LABEL)!.value!;
  const client = (token: string) => new SwitchboardClient({ url, token });
  const session = (token: string, headers: Record<string, string>) => {
    const sessionId: mesos.ContainerID = { value: uniqueId('hold-session'), parent: healthy.container_status!.container_id! };
    return client(token).openOutput(launchCall(sessionId, { shell: false, value: 'sleep', arguments: ['sleep', '1000'] }), { encoding: MEDIA[encoding], headers });
  };
  return { agent, exec, id, sick, session };
}

const mine = (id: string) => (s: mesos.TaskStatus) => s.task_id.value === id;

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: a held task is not killed while the session lives, says who holds it, and is killed after it ends`, async (t) => {
    const { agent, exec, id, sick, session } = await stack(t, encoding);
    const before = Date.now();
    const stream = await session('ops-token', { [SWITCHBOARD_HEADERS.holdHealthKills]: '2hrs' });
    if (!isOutputStream(stream)) throw new Error(`launch answered ${stream.status}: ${stream.body}`);
    const heldUntil = String(stream.headers[SWITCHBOARD_HEADERS.healthKillsHeldUntil.toLowerCase()]);
    const untilMs = Date.parse(heldUntil);
    t.ok(untilMs >= before + 600_000 && untilMs <= Date.now() + 600_000, `2hrs asked, capped at the operator's 10mins: ${heldUntil}`);

    writeFileSync(sick, '');
    const held = await agent.waitForUpdate((s) => mine(id)(s) && /kill held by ops/.test(s.message ?? ''));
    t.equal(held.state, 'TASK_RUNNING');
    t.equal(held.healthy, false);
    t.match(held.message, new RegExp(`^COMMAND health check failed 2 of 2: .*; kill held by ops until ${heldUntil.replace(/[.]/g, '\\.')} \\(exec --hold-checks\\)$`), 'the update that would have killed says who holds it and until when');
    t.equal(held.labels?.labels?.find((l) => l.key === HEALTH_KILL_HOLD_LABEL)?.value, heldUntil, 'the task label carries the end of the hold');
    const again = await agent.waitForUpdate((s) => mine(id)(s) && /kill held by ops/.test(s.message ?? ''));
    t.equal(again.state, 'TASK_RUNNING', 'failures counted up to the threshold again: still held, still running');

    const heldCount = agent.updates.filter((u) => mine(id)(u.status) && /kill held/.test(u.status.message ?? '')).length;
    stream.destroy();
    const killed = await agent.waitForTerminal(id);
    t.equal(killed.state, 'TASK_KILLED');
    t.match(killed.message, /killed by health check/);
    const updates = agent.updates.map((u) => u.status).filter(mine(id));
    const lastHeld = updates.map((s) => /kill held/.test(s.message ?? '')).lastIndexOf(true);
    const after = updates.slice(lastHeld + 1).filter((s) => s.reason === 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED');
    t.match(after.map((s) => s.message), [/failed 1 of 2/, /failed 2 of 2/], 'after the session: counting from zero, then the kill');
    t.notOk(after.some((s) => s.labels?.labels?.some((l) => l.key === HEALTH_KILL_HOLD_LABEL)), 'no hold label once the session ended');
    t.ok(heldCount >= 2);

    await until(() => logLines(exec).some((l) => l.msg === 'health-kill-hold ended'), 'the audit line of the hold end');
    const started = logLines(exec).find((l) => l.msg === 'health-kill-hold started')!;
    const ended = logLines(exec).find((l) => l.msg === 'health-kill-hold ended')!;
    t.match(started, { audit: true, principal: 'ops', task: id, requested_ms: 7_200_000, duration_ms: 600_000, until: heldUntil });
    t.match(ended, { audit: true, principal: 'ops', task: id, outcome: 'session ended' });
    t.ok(Date.parse(String(ended.end)) >= Date.parse(String(started.start)), 'audited with start and end');
  });

  t.test(`${encoding}: a hold without HOLD_HEALTH_KILLS is 403 and audited; the same session without the header is allowed`, async (t) => {
    const { exec, id, session } = await stack(t, encoding);
    const refused = await session('viewer-token', { [SWITCHBOARD_HEADERS.holdHealthKills]: '5mins' });
    t.equal(refused.status, 403);
    if (isOutputStream(refused)) throw new Error('a stream for a refused hold');
    t.match(refused.body.toString(), /Principal 'viewer' may not hold the health kills of task .*HOLD_HEALTH_KILLS/);
    await until(() => logLines(exec).some((l) => l.msg === 'health-kill-hold refused'), 'the audit line of the refusal');
    t.match(logLines(exec).find((l) => l.msg === 'health-kill-hold refused'), { audit: true, principal: 'viewer', task: id, requested_ms: 300_000, duration_ms: 0, outcome: 'forbidden' });
    t.notOk(logLines(exec).some((l) => l.msg === 'exec session started'), 'no session was started for the refused call');

    const bad = await session('ops-token', { [SWITCHBOARD_HEADERS.holdHealthKills]: 'an hour' });
    t.equal(bad.status, 400, 'a bad duration is a 400 naming the header');
    if (!isOutputStream(bad)) t.match(bad.body.toString(), /^Mesos-Sidecar-Hold-Health-Kills: "an hour" is not a Mesos duration/);

    const plain = await session('viewer-token', {});
    t.equal(plain.status, 200, 'no header: a plain session, as any Mesos client gets');
    if (isOutputStream(plain)) {
      t.equal(plain.headers[SWITCHBOARD_HEADERS.healthKillsHeldUntil.toLowerCase()], undefined, 'and no hold');
      plain.destroy();
    }
  });
}
