// The executor's metrics endpoint and GET_CONTAINERS end to end: the real executor as a
// child process against the agent emulator (both encodings), with its switchboard; the
// endpoint bound on port 0 and found through the executor's own log line.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { clientFrom } from '../../cli/attach-target.js';
import { SWITCHBOARD_URL_LABEL } from '../../contracts/switchboard.js';
import { CONTAINER_METRICS } from '../../metrics/container-statistics.js';
import { ENCODINGS, logLines, metricsUrlOf, shellTask, startExecutor, uniqueId } from '../helpers/tasks.js';
import { until } from '../helpers/wait.js';

const MEDIA = { json: 'application/json', protobuf: 'application/x-protobuf' } as const;

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: the metrics endpoint starts with the executor, says where once, and serves the container families; GET_CONTAINERS lists the task`, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'metrics-e2e-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const tokenFile = path.join(dir, 'token');
    const { agent, exec } = await startExecutor(t, encoding, {}, { MESOS_SIDECAR_METRICS_ADDRESS: '127.0.0.1:0', MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE: tokenFile });
    const url = await metricsUrlOf(exec);
    const id = uniqueId('web');
    const running = agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
    agent.launch(shellTask(id, 'exec sleep 1000'));
    const status = await running;
    const listening = logLines(exec).filter((l) => l.msg === 'metrics endpoint listening');
    t.equal(listening.length, 1, 'one line');
    t.match(listening[0], { address: /^127\.0\.0\.1:[1-9]\d*$/, url });

    const res = await request(url);
    t.equal(res.statusCode, 200);
    const text = await res.body.text();
    for (const [name, type] of CONTAINER_METRICS) t.match(text, `# TYPE ${name} ${type}`, `${name} is registered on the executor's registry`);

    const switchboardUrl = status.labels?.labels?.find((l) => l.key === SWITCHBOARD_URL_LABEL)?.value;
    t.ok(switchboardUrl, 'the switchboard URL label');
    const client = clientFrom({ url: switchboardUrl!, 'token-file': tokenFile });
    const containers = await client.containers({ encoding: MEDIA[encoding] });
    const entry = containers.find((c) => c.container_status?.container_id?.value === status.container_status?.container_id?.value);
    t.ok(entry, `the task's container is listed: ${JSON.stringify(containers, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}`);
    t.same({ framework_id: entry!.framework_id?.value, executor_id: entry!.executor_id?.value, executor_name: entry!.executor_name }, { framework_id: agent.frameworkId, executor_id: agent.executorId, executor_name: 'mesos-sidecar' }, 'framework, executor and ExecutorInfo.name from SUBSCRIBED');
    t.notOk(entry!.container_id.parent, 'container_id without its parent');
    t.ok(entry!.container_status?.executor_pid, 'the pid of the task');
    agent.kill(id);
    t.equal((await agent.waitForTerminal(id)).state, 'TASK_KILLED');
  });
}

t.test('a metrics address that is not loopback is logged and the executor runs its tasks without the endpoint', async (t) => {
  // input: MESOS_SIDECAR_METRICS_ADDRESS=0.0.0.0:0 → error: MetricsAddressError in the log, no endpoint
  const { agent, exec } = await startExecutor(t, 'json', {}, { MESOS_SIDECAR_METRICS_ADDRESS: '0.0.0.0:0' });
  const id = uniqueId('web');
  agent.launch(shellTask(id, 'exit 0'));
  t.equal((await agent.waitForTerminal(id)).state, 'TASK_FINISHED', 'the task ran');
  await until(() => logLines(exec).some((l) => l.msg === 'metrics endpoint not started: MESOS_SIDECAR_METRICS_ADDRESS: host "0.0.0.0" is not loopback (127.0.0.1, ::1 or localhost)'), 'the error line');
  t.notOk(logLines(exec).some((l) => l.msg === 'metrics endpoint listening'));
});
