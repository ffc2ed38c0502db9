// The executor side of executor/checks-contract.ts (checks.md §7–§8) and of the
// switchboard seam (task-view.ts), with the executor in-process against the emulator over
// the real wire and a fake TaskCheckFactory whose reports the test triggers.
import t, { type Test } from 'tap';
import path from 'node:path';
import { Writable } from 'node:stream';
import { AgentEmulator } from '../../agent/emulator.js';
import { createLogger } from '../../common/logger.js';
import type { mesos } from '../../proto/codec.js';
import type { TaskCheckContext, TaskCheckFactory } from '../../contracts/checks.js';
import { ISOLATION_LABEL } from '../../contracts/task-view.js';
import { Containerizer } from '../../containerizer/containerizer.js';
import { NO_ISOLATION } from '../../containerizer/isolation.js';
import { parseExecutorEnvironment } from '../../executor/env.js';
import { Executor } from '../../executor/executor.js';
import { fixture, killPolicy, quietLogger, shellTask, startInProcessExecutor, uniqueId } from '../helpers/tasks.js';
import { systemClock } from '../../common/clock.js';
import { waitForFile } from '../helpers/wait.js';

interface FakeRunner {
  context: TaskCheckContext;
  calls: string[];
  /** Resolves when the runner has been told `call`. */
  told(call: string): Promise<void>;
}

function fakeFactory(): { factory: TaskCheckFactory; runners: Map<string, FakeRunner>; created: (id: string) => Promise<FakeRunner> } {
  const runners = new Map<string, FakeRunner>();
  const waiting = new Map<string, (r: FakeRunner) => void>();
  const factory: TaskCheckFactory = {
    parse: (task) =>
      task.labels?.labels?.some((l) => l.key === 'broken-check')
        ? { ok: false, field: 'TaskInfo.health_check.http.port', message: 'TaskInfo.health_check.http.port is required' }
        : { ok: true, definitions: {} },
    create: (_definitions, context) => {
      if (context.taskId.startsWith('unchecked')) throw new Error('checker bug');
      const listeners: Array<[string, () => void]> = [];
      const record = (call: string) => {
        runner.calls.push(call);
        for (const [c, resolve] of listeners) if (c === call) resolve();
      };
      const runner: FakeRunner = {
        context,
        calls: [],
        told: (call) => new Promise((resolve) => (runner.calls.includes(call) ? resolve() : listeners.push([call, resolve]))),
      };
      runners.set(context.taskId, runner);
      waiting.get(context.taskId)?.(runner);
      return {
        pause: () => record('pause'),
        resume: () => record('resume'),
        stop: () => record('stop'),
        describeKill: () => 'HTTP health check failed 3 of 3: status 503',
        resetHealthFailures: () => record('reset'),
      };
    },
  };
  const created = (id: string) =>
    new Promise<FakeRunner>((resolve) => {
      const r = runners.get(id);
      if (r) resolve(r);
      else waiting.set(id, resolve);
    });
  return { factory, runners, created };
}

const SWITCHBOARD_LABEL: mesos.Label = { key: 'mesos-sidecar.switchboard.url', value: 'http://127.0.0.1:1' };

async function inProcess(t: Test, encoding: 'json' | 'protobuf', agentOptions = {}) {
  const agent = await AgentEmulator.start({ logger: quietLogger(), subscriptionBackoffMax: '100ms', ...agentOptions });
  t.teardown(() => agent.close());
  const fake = fakeFactory();
  const containerizer = new Containerizer({ isolation: NO_ISOLATION });
  const config = parseExecutorEnvironment(agent.executorEnvironment({ MESOS_SIDECAR_ENCODING: encoding }));
  const executor = new Executor({
    config,
    logger: createLogger({ name: 'executor', level: process.env.MESOS_SIDECAR_TEST_LOG_LEVEL ?? 'silent' }),
    checkFactory: fake.factory,
    extraStatusLabels: [SWITCHBOARD_LABEL],
    containerizer,
  });
  const subscribed = agent.waitForSubscribed();
  const exited = executor.run();
  let done = false;
  void exited.then(() => (done = true));
  t.teardown(async () => {
    if (!done) {
      agent.shutdown();
      await exited;
    }
  });
  await subscribed;
  return { agent, executor, exited, containerizer, ...fake };
}

const httpCheck: mesos.CheckInfo = { type: 'HTTP', http: { port: 1 } };
const healthCheck: mesos.HealthCheck = { type: 'COMMAND', command: { value: 'true' } };

for (const encoding of ['json', 'protobuf'] as const) {
  t.test(`${encoding}: check, health and readiness updates are copies of the last status`, async (t) => {
    const { agent, created, exited, executor, containerizer } = await inProcess(t, encoding);
    const id = uniqueId('checked');
    agent.launch(shellTask(id, `exec ${fixture('sleeper.sh')}`, { check: httpCheck, health_check: healthCheck }));
    const runner = await created(id);
    const running = await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
    const starting = agent.updates[0]!.status;
    for (const s of [starting, running]) {
      t.same(s.check_status, { type: 'HTTP', http: {} }, `${s.state} carries the empty check status`);
      t.same(s.labels?.labels, [SWITCHBOARD_LABEL, { key: ISOLATION_LABEL, value: 'none' }], `${s.state} carries the extra label and the task's isolation`);
      t.notOk('healthy' in s);
    }
    t.equal(runner.context.workingDirectory, path.join(agent.sandbox, 'tasks', id), 'checks run in the task sandbox');
    t.equal(runner.context.environment.MESOS_TASK_ID, id, 'with the task environment');

    runner.context.reportCheck({ type: 'HTTP', http: { status_code: 200 } }, 'HTTP check result: status 200');
    const check = await agent.waitForUpdate((s) => s.task_id.value === id && s.reason === 'REASON_TASK_CHECK_STATUS_UPDATED');
    t.equal(check.state, 'TASK_RUNNING');
    t.same(check.check_status, { type: 'HTTP', http: { status_code: 200 } });
    t.equal(check.message, 'HTTP check result: status 200');
    t.not(check.uuid!.toString('hex'), running.uuid!.toString('hex'), 'new uuid');

    runner.context.reportHealth({ healthy: true, kill: false, message: 'COMMAND health check passed' });
    const health = await agent.waitForUpdate((s) => s.task_id.value === id && s.reason === 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED');
    t.equal(health.healthy, true);
    t.same(health.check_status, { type: 'HTTP', http: { status_code: 200 } }, 'a health update keeps the last check result');

    runner.context.reportReadiness([{ key: 'mesos-sidecar.readiness.ready', value: 'true' }], 'ready');
    const ready = await agent.waitForUpdate((s) => s.task_id.value === id && s.message === 'ready');
    t.notOk('reason' in ready, 'readiness updates carry no reason');
    t.equal(ready.healthy, true, 'and keep the last health');
    t.same(ready.labels?.labels?.map((l) => l.key), [SWITCHBOARD_LABEL.key, ISOLATION_LABEL, 'mesos-sidecar.readiness.ready'], 'labels merged');

    // The switchboard seam sees the same task.
    const containerId = running.container_status!.container_id!;
    t.same(executor.executorContainerId(), agent.containerId);
    const view = executor.taskByContainerId(containerId.value);
    t.equal(view?.taskId, id);
    t.ok(view?.pid && view.pid > 0, 'a running task exposes its process group leader');
    t.equal(view?.terminated, false);
    t.equal(runner.context.container?.containerizer, containerizer, "COMMAND checks get the executor's containerizer");
    t.equal(runner.context.container?.parent, view?.container, "and the task's container as their parent");
    t.equal(view?.container?.id, containerId.value, 'the container is named by the task container id');

    agent.kill(id);
    const killed = await agent.waitForTerminal(id);
    t.same(killed.check_status, { type: 'HTTP', http: {} }, 'terminal update: empty check status, as upstream');
    t.notOk('healthy' in killed, 'a scheduler kill says nothing about health');
    t.same(runner.calls, ['pause', 'stop'], 'paused when the kill started, stopped at termination');
    runner.context.reportCheck({ type: 'HTTP', http: { status_code: 500 } }, 'late');
    t.equal(await exited, 0);
    t.notOk(agent.updates.some((u) => u.status.message === 'late'), 'nothing after the terminal update');
    t.equal(view?.terminated, true);
    t.equal(view?.waitStatus, 15, 'raw wait status of SIGTERM');
  });
}

t.test('a health report with kill: the unhealthy update, then TASK_KILLING, then TASK_KILLED healthy:false naming the check', async (t) => {
  const { agent, created, exited } = await inProcess(t, 'protobuf');
  const id = uniqueId('unhealthy');
  agent.launch(shellTask(id, `exec ${fixture('ignore-term.sh')}`, { health_check: healthCheck, kill_policy: killPolicy(200) }));
  const runner = await created(id);
  await waitForFile(path.join(agent.sandbox, 'tasks', id, 'pid'));
  await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
  runner.context.reportHealth({ healthy: false, kill: true, message: 'HTTP health check failed 3 of 3: status 503' });
  runner.context.reportHealth({ healthy: false, kill: false, message: 'after the kill' });
  const killed = await agent.waitForTerminal(id);
  const states = agent.updates.map((u) => `${u.status.state}${u.status.healthy === undefined ? '' : `/${u.status.healthy}`}`);
  t.same(states, ['TASK_STARTING', 'TASK_RUNNING', 'TASK_RUNNING/false', 'TASK_KILLING', 'TASK_KILLED/false']);
  // TASK_KILLING is built from scratch (upstream createTaskStatus): no health verdict on it.
  t.equal(killed.message, 'Command terminated with signal Killed (killed by health check: HTTP health check failed 3 of 3: status 503)');
  t.notOk('reason' in killed, 'no reason on the terminal update, as upstream');
  t.equal(await exited, 0);
});

t.test('in a group, siblings killed because of a health kill carry healthy:false', async (t) => {
  const { agent, created } = await inProcess(t, 'json');
  const [sick, sibling] = [uniqueId('sick'), uniqueId('sibling')];
  agent.launchGroup({ tasks: [shellTask(sick, `exec ${fixture('sleeper.sh')}`, { health_check: healthCheck }), shellTask(sibling, `exec ${fixture('sleeper.sh')}`)] });
  const runner = await created(sick);
  await waitForFile(path.join(agent.sandbox, 'tasks', sibling, 'pid'));
  await agent.waitForUpdate((s) => s.task_id.value === sick && s.state === 'TASK_RUNNING');
  runner.context.reportHealth({ healthy: false, kill: true, message: 'failed' });
  t.equal((await agent.waitForTerminal(sick)).healthy, false);
  const s = await agent.waitForTerminal(sibling);
  t.equal(s.state, 'TASK_KILLED');
  t.equal(s.healthy, false);
});

t.test('an invalid check definition: TASK_ERROR, REASON_TASK_INVALID, message naming the field; never started', async (t) => {
  const { agent, exited, runners } = await inProcess(t, 'json');
  const id = uniqueId('invalid');
  agent.launch(shellTask(id, 'true', { health_check: { type: 'HTTP' }, labels: { labels: [{ key: 'broken-check' }] } }));
  const s = await agent.waitForTerminal(id);
  t.equal(s.state, 'TASK_ERROR');
  t.equal(s.reason, 'REASON_TASK_INVALID');
  t.equal(s.message, 'TaskInfo.health_check.http.port is required');
  t.equal(agent.updates.length, 1, 'no TASK_STARTING');
  t.equal(runners.size, 0, 'no checker created');
  t.equal(await exited, 0);
});

t.test('checks pause while the agent is away and resume after SUBSCRIBED', async (t) => {
  const { agent, created } = await inProcess(t, 'protobuf');
  const id = uniqueId('paused');
  agent.launch(shellTask(id, `exec ${fixture('sleeper.sh')}`, { check: httpCheck }));
  const runner = await created(id);
  await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
  const back = agent.waitForSubscribed();
  await agent.restart();
  await back;
  await runner.told('resume');
  t.same(runner.calls, ['pause', 'resume'], 'paused on disconnection, resumed after SUBSCRIBED');
  agent.kill(id);
  await agent.waitForTerminal(id);
});

t.test('a check factory still loading holds events back, in order, until it is there', async (t) => {
  const fake = fakeFactory();
  let provide!: (f: TaskCheckFactory) => void;
  // The executor's log lines, parsed, as a sink the test can wait on.
  const held: string[] = [];
  let onHeld: (() => void) | undefined;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as { msg: string; type?: string };
        if (entry.msg === 'event held until the checks engine and the launcher are ready') {
          held.push(entry.type!);
          onHeld?.();
        }
      }
      done();
    },
  });
  const { agent, exited } = await startInProcessExecutor(t, 'protobuf', {}, {
    clock: systemClock,
    logger: createLogger({ name: 'executor', level: 'debug', destination: sink }),
    checkFactory: new Promise<TaskCheckFactory>((resolve) => (provide = resolve)),
  });
  const id = uniqueId('deferred');
  agent.launch(shellTask(id, `exec ${fixture('sleeper.sh')}`, { check: httpCheck }));
  agent.kill(id, 0);
  await new Promise<void>((resolve) => {
    onHeld = () => held.length >= 3 && resolve();
    onHeld();
  });
  t.same(held, ['SUBSCRIBED', 'LAUNCH', 'KILL'], 'every event reached the executor and is held, SUBSCRIBED included');
  t.equal(agent.updates.length, 0, 'nothing launched before the factory is there');
  provide(fake.factory);
  const s = await agent.waitForTerminal(id);
  t.equal(s.state, 'TASK_KILLED', 'LAUNCH then KILL, in their order');
  t.ok(fake.runners.has(id), 'the task got its checks from the late factory');
  t.equal(await exited, 0);
});

t.test('a checker that throws on create: the task still runs, unchecked, and the log says so', async (t) => {
  const { agent, runners } = await inProcess(t, 'json');
  const id = uniqueId('unchecked');
  // The fake checker throws for task ids starting 'unchecked'.
  agent.launch(shellTask(id, 'true', { check: httpCheck }));
  t.equal((await agent.waitForTerminal(id)).state, 'TASK_FINISHED');
  t.same(agent.updates.map((u) => u.status.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
  t.equal(runners.size, 0);
});

t.test('a lazy check factory loads only when the first task declaring checks arrives', async (t) => {
  const fake = fakeFactory();
  let loads = 0;
  const checkFactory = async () => {
    loads++;
    return fake.factory;
  };
  const { agent, exited } = await startInProcessExecutor(t, 'json', {}, { clock: systemClock, checkFactory });
  const plain = uniqueId('plain');
  agent.launch(shellTask(plain, `exec ${fixture('sleeper.sh')}`));
  await agent.waitForUpdate((s) => s.task_id.value === plain && s.state === 'TASK_RUNNING');
  t.equal(loads, 0, 'a task without checks does not load the engine');
  const checked = uniqueId('checked');
  const ready = uniqueId('ready');
  agent.launch(shellTask(checked, 'true', { check: httpCheck }));
  agent.launch(shellTask(ready, 'true', { labels: { labels: [{ key: 'mesos-sidecar.readiness-check', value: '{}' }] } }));
  t.equal((await agent.waitForTerminal(checked)).state, 'TASK_FINISHED');
  t.equal((await agent.waitForTerminal(ready)).state, 'TASK_FINISHED');
  t.equal(loads, 1, 'loaded once, for the first task that needs it');
  t.ok(fake.runners.has(checked) && fake.runners.has(ready), 'both got checks (a readiness label counts)');
  agent.kill(plain);
  await agent.waitForTerminal(plain);
  t.equal(await exited, 0);
});

t.test('acknowledged terminated tasks beyond the limit are forgotten, oldest first; live ones never', async (t) => {
  const { agent, executor, exited } = await startInProcessExecutor(t, 'json', {}, { clock: systemClock, terminatedTasksKept: 2 });
  const keeper = uniqueId('keeper');
  agent.launch(shellTask(keeper, `exec ${fixture('sleeper.sh')}`));
  const short = [1, 2, 3, 4].map((i) => uniqueId(`short${i}`));
  for (const id of short) {
    agent.launch(shellTask(id, 'true'));
    await agent.waitForTerminal(id);
  }
  // The last ACKNOWLEDGED travels after the terminal update: a KILL behind it on the same
  // stream is handled after it, so once the keeper is killed the pruning has happened.
  agent.kill(keeper);
  await agent.waitForUpdate((s) => s.task_id.value === keeper && s.state === 'TASK_KILLING');
  const ids = [...executor.tasks()].map((task) => task.taskId);
  t.same(ids, [keeper, short[2], short[3]], 'the live task and the two most recent terminated ones');
  await agent.waitForTerminal(keeper);
  t.equal(await exited, 0);
});
