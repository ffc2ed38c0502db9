// Checks end to end: the executor as a real child process against the agent emulator, with
// the checks factory it loads (checks/index.js), real tasks and real probes.
import t, { type Test } from 'tap';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { READINESS_CHECK_LABEL } from '../../checks/definitions.js';
import type { mesos } from '../../proto/codec.js';
import type { AgentEmulator } from '../../agent/emulator.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { killPolicy, logLines, metricsUrlOf, shellTask, startExecutor, uniqueId } from '../helpers/tasks.js';
import { until } from '../helpers/wait.js';

/**
 * Launches `exec sleep 1000` with the checks `checks` builds around a `test -f FLAG`
 * command: its answer flips once, exit 1 until the test creates FLAG (returned), then exit
 * 0. FLAG lives in a fresh directory removed in teardown.
 */
function launchFlagged(t: Test, agent: AgentEmulator, id: string, checks: (testCommand: string) => Partial<mesos.TaskInfo>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mesos-sidecar-e2e-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const flag = path.join(dir, 'flag');
  agent.launch(shellTask(id, 'exec sleep 1000', checks(`test -f ${flag}`)));
  return flag;
}

/**
 * The task's web endpoint, served by the test on a port the kernel picked and the test
 * holds (a port found free and released first could be taken before the task binds it).
 * Answers 200 while `healthy(n)` says so for the n-th request (default: always), else 503.
 */
async function webTarget(t: Test, healthy: (n: number) => boolean = () => true): Promise<number> {
  let n = 0;
  const server = createServer((_req, res) => {
    n++;
    res.writeHead(healthy(n) ? 200 : 503, { 'content-type': 'text/plain' });
    res.end(`n=${n}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

/** Stands for the web server process: the probes go to the test's webTarget. */
const WEB_TASK = 'exec sleep 1000';

const health = (id: string, s: mesos.TaskStatus) => s.task_id.value === id && s.reason === 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED';

t.test('json: a web task goes healthy and ready; successes after the first are silent', async (t) => {
  const { agent } = await startExecutor(t, 'json');
  const id = uniqueId('web');
  const port = await webTarget(t);
  agent.launch(
    shellTask(id, WEB_TASK, {
      health_check: { type: 'HTTP', http: { port, path: '/health' }, delay_seconds: 0, interval_seconds: 0.1, grace_period_seconds: 10 },
      discovery: { visibility: 'FRAMEWORK', ports: { ports: [{ number: port, name: 'http-api' }] } },
      labels: { labels: [{ key: READINESS_CHECK_LABEL, value: JSON.stringify({ intervalSeconds: 0.2, timeoutSeconds: 0.1, preserveLastResponse: true }) }] },
    }),
  );
  const healthy = await agent.waitForUpdate((s) => health(id, s));
  t.equal(healthy.state, 'TASK_RUNNING');
  t.equal(healthy.healthy, true);
  t.equal(healthy.message, 'HTTP health check passed: status 200');
  const ready = await agent.waitForUpdate((s) => s.task_id.value === id && !!s.labels?.labels?.some((l) => l.key === 'mesos-sidecar.readiness/ready' && l.value === 'true'));
  t.equal(ready.state, 'TASK_RUNNING');
  const labels = Object.fromEntries((ready.labels?.labels ?? []).map((l) => [l.key, l.value]));
  t.match(labels, { 'mesos-sidecar.readiness/name': 'readinessCheck', 'mesos-sidecar.readiness/http-status': '200', 'mesos-sidecar.readiness/content-type': 'text/plain' });
  agent.kill(id);
  const terminal = await agent.waitForTerminal(id);
  t.equal(terminal.state, 'TASK_KILLED');
  t.equal(agent.updates.filter((u) => health(id, u.status)).length, 1, 'only the first success was reported');
});

t.test('protobuf: a task whose health check starts failing is killed after exactly consecutive_failures', async (t) => {
  const { agent } = await startExecutor(t, 'protobuf');
  const id = uniqueId('sick');
  const port = await webTarget(t, (n) => n <= 2);
  agent.launch(
    shellTask(id, WEB_TASK, {
      // The grace period ends at the first success.
      health_check: { type: 'HTTP', http: { port }, delay_seconds: 0, interval_seconds: 0.1, grace_period_seconds: 30, consecutive_failures: 3 },
      kill_policy: killPolicy(2000),
    }),
  );
  const terminal = await agent.waitForTerminal(id);
  const mine = agent.updates.filter((u) => u.status.task_id.value === id).map((u) => u.status);
  const seq = mine.map((s) => `${s.state}${s.healthy === undefined ? '' : s.healthy ? '+healthy' : '+unhealthy'}`);
  t.same(seq, ['TASK_STARTING', 'TASK_RUNNING', 'TASK_RUNNING+healthy', 'TASK_RUNNING+unhealthy', 'TASK_RUNNING+unhealthy', 'TASK_RUNNING+unhealthy', 'TASK_KILLING', 'TASK_KILLED+unhealthy'], 'TASK_KILLING is built from scratch (no healthy), as in Mesos');
  t.same(mine.filter((s) => health(id, s) && s.healthy === false).map((s) => s.message), [
    'HTTP health check failed 1 of 3: status 503',
    'HTTP health check failed 2 of 3: status 503',
    'HTTP health check failed 3 of 3: status 503',
  ]);
  t.equal(terminal.state, 'TASK_KILLED');
  t.equal(terminal.healthy, false);
  t.equal(terminal.reason, undefined, 'no reason on the terminal update, as Mesos');
  t.equal(terminal.message, 'Command terminated with signal Terminated (killed by health check: HTTP health check failed 3 of 3: status 503, status 503, status 503)');
});

t.test('json: failures inside the grace period are ignored (target ready late)', async (t) => {
  const { agent, exec } = await startExecutor(t, 'json');
  const id = uniqueId('slow');
  // The target answers 503 until the test has seen a failed probe ignored.
  let warm = false;
  const port = await webTarget(t, () => warm);
  agent.launch(
    shellTask(id, WEB_TASK, {
      health_check: { type: 'HTTP', http: { port }, delay_seconds: 0, interval_seconds: 0.1, grace_period_seconds: 30, consecutive_failures: 1 },
    }),
  );
  const ignored = () => logLines(exec).filter((l) => l.msg === 'health check failure ignored: inside the grace period' && l.task_id === id);
  await until(() => ignored().length >= 1, 'a failed probe ignored inside the grace period', 20_000);
  warm = true;
  const first = await agent.waitForUpdate((s) => health(id, s));
  t.equal(first.healthy, true, 'the first health update is the success: no failure was counted');
  t.ok(ignored().length >= 1, `${ignored().length} failed probes were ignored inside the grace period`);
  agent.kill(id);
  t.equal((await agent.waitForTerminal(id)).state, 'TASK_KILLED');
});

t.test('protobuf: a general COMMAND check reports only changes, with check_status in every update', async (t) => {
  const { agent } = await startExecutor(t, 'protobuf');
  const id = uniqueId('gen');
  const ready = launchFlagged(t, agent, id, (test) => ({ check: { type: 'COMMAND', command: { command: { value: test } }, delay_seconds: 0, interval_seconds: 0.05 } }));
  const running = await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING' && s.reason === undefined);
  t.same(running.check_status, { type: 'COMMAND', command: {} }, 'TASK_RUNNING carries the empty check status');
  const a = await agent.waitForUpdate((s) => s.task_id.value === id && s.reason === 'REASON_TASK_CHECK_STATUS_UPDATED');
  t.same(a.check_status, { type: 'COMMAND', command: { exit_code: 1 } });
  writeFileSync(ready, '');
  const b = await agent.waitForUpdate((s) => s.task_id.value === id && s.reason === 'REASON_TASK_CHECK_STATUS_UPDATED');
  t.same(b.check_status, { type: 'COMMAND', command: { exit_code: 0 } });
  agent.kill(id);
  const terminal = await agent.waitForTerminal(id);
  t.equal(agent.updates.filter((u) => u.status.task_id.value === id && u.status.reason === 'REASON_TASK_CHECK_STATUS_UPDATED').length, 2, 'exactly two changes, however many probes ran');
  t.equal(terminal.healthy, undefined, 'a general check never touches healthy');
});

for (const encoding of ['json', 'protobuf'] as const) {
  t.test(`${encoding}: an invalid health check is TASK_ERROR naming the field and value`, async (t) => {
    const { agent, exec } = await startExecutor(t, encoding);
    const id = uniqueId('bad');
    // Input: interval_seconds -1. Error: TASK_ERROR whose message and log line name TaskInfo.health_check.interval_seconds.
    agent.launch(shellTask(id, 'sleep 1000', { health_check: { type: 'HTTP', http: { port: 80 }, interval_seconds: -1 } }));
    const terminal = await agent.waitForTerminal(id);
    t.equal(terminal.state, 'TASK_ERROR');
    t.equal(terminal.reason, 'REASON_TASK_INVALID');
    t.equal(terminal.message, 'TaskInfo.health_check.interval_seconds must be >= 0, got -1');
    await until(() => logLines(exec).some((l) => l.msg === 'invalid task' && l.task_id === id), 'the invalid-task log line');
    t.equal(logLines(exec).find((l) => l.msg === 'invalid task' && l.task_id === id)?.field, 'TaskInfo.health_check.interval_seconds');
  });
}

t.test('json: a task with only a readiness check (COMMAND) goes ready once', async (t) => {
  const { agent } = await startExecutor(t, 'json');
  const id = uniqueId('ready');
  const warmed = launchFlagged(t, agent, id, (test) => ({
    labels: { labels: [{ key: READINESS_CHECK_LABEL, value: JSON.stringify({ name: 'warm', protocol: 'COMMAND', command: { value: test }, intervalSeconds: 0.5, timeoutSeconds: 0.4 }) }] },
  }));
  const notReady = await agent.waitForUpdate((s) => s.task_id.value === id && !!s.labels?.labels?.some((l) => l.key === 'mesos-sidecar.readiness/ready' && l.value === 'false'));
  t.equal(notReady.message, "readiness check 'warm' not ready: exit 1");
  writeFileSync(warmed, '');
  const ready = await agent.waitForUpdate((s) => s.task_id.value === id && !!s.labels?.labels?.some((l) => l.key === 'mesos-sidecar.readiness/ready' && l.value === 'true'));
  t.equal(ready.state, 'TASK_RUNNING');
  t.equal(ready.reason, undefined, 'reasons 28/29 stay for checks and health checks');
  t.equal(ready.message, "readiness check 'warm' ready: exit 0");
  agent.kill(id);
  const terminal = await agent.waitForTerminal(id);
  t.equal(terminal.state, 'TASK_KILLED');
  t.equal(agent.updates.filter((u) => u.status.task_id.value === id && u.status.message?.startsWith('readiness')).length, 2, 'one not-ready and one ready update, however many probes ran');
});

t.test('protobuf: in a task group, a health kill takes the sibling down too, both healthy:false', async (t) => {
  const { agent } = await startExecutor(t, 'protobuf');
  const sick = uniqueId('grp-sick');
  const sibling = uniqueId('grp-sib');
  const port = await webTarget(t, (n) => n <= 1);
  agent.launchGroup({
    tasks: [
      shellTask(sick, WEB_TASK, {
        health_check: { type: 'HTTP', http: { port }, delay_seconds: 0, interval_seconds: 0.1, grace_period_seconds: 30, consecutive_failures: 2 },
      }),
      shellTask(sibling, 'exec sleep 1000'),
    ],
  });
  const [a, b] = await Promise.all([agent.waitForTerminal(sick), agent.waitForTerminal(sibling)]);
  t.equal(a.state, 'TASK_KILLED');
  t.equal(a.healthy, false);
  t.match(a.message, /killed by health check: HTTP health check failed 2 of 2: status 503, status 503/);
  t.equal(b.state, 'TASK_KILLED');
  t.equal(b.healthy, false, 'killed because its sibling failed its health check');
  t.equal(agent.updates.filter((u) => u.status.task_id.value === sibling && u.status.reason === 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED').length, 0, "health updates carry only the checked task's id");
});

t.test('json: the executor serves check metrics on MESOS_SIDECAR_METRICS_ADDRESS', async (t) => {
  // Port 0: the executor binds one and names it in its log.
  const { agent, exec } = await startExecutor(t, 'json', {}, { MESOS_SIDECAR_METRICS_ADDRESS: '127.0.0.1:0' });
  const metricsUrl = await metricsUrlOf(exec);
  t.match(logLines(exec).find((l) => l.msg === 'metrics endpoint listening'), { address: /^127\.0\.0\.1:[1-9]\d*$/ }, 'logged once with the bound address');
  const id = uniqueId('metrics');
  const port = await webTarget(t);
  agent.launch(shellTask(id, WEB_TASK, { health_check: { type: 'TCP', tcp: { port }, delay_seconds: 0, interval_seconds: 0.05, grace_period_seconds: 30 } }));
  await agent.waitForUpdate((s) => health(id, s) && s.healthy === true);
  const res = await fetch(metricsUrl);
  t.equal(res.status, 200);
  const text = await res.text();
  t.match(text, new RegExp(`mesos_sidecar_check_probes_total\\{task_id="${id}",check="health",type="TCP",outcome="result"\\} [1-9]`));
  t.match(text, new RegExp(`mesos_sidecar_check_verdicts_total\\{task_id="${id}",check="health",verdict="healthy"\\} 1`));
  agent.kill(id);
  t.equal((await agent.waitForTerminal(id)).state, 'TASK_KILLED');
});
