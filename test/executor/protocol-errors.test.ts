// Events the executor cannot act on, through the real wire. Item by item: which input,
// which reaction; in every case the executor and its other tasks go on.
import t, { type Test } from 'tap';
import path from 'node:path';
import { Writable } from 'node:stream';
import { systemClock } from '../../common/clock.js';
import { createLogger } from '../../common/logger.js';
import { codecs, type executor, type mesos } from '../../proto/codec.js';
import { encodeRecord } from '../../proto/recordio.js';
import { ENCODINGS, fixture, logLines, shellTask, startExecutor, startInProcessExecutor, uniqueId } from '../helpers/tasks.js';
import { waitForFile, within } from '../helpers/wait.js';

for (const encoding of ENCODINGS) {
  const contentType = encoding === 'json' ? 'application/json' : 'application/x-protobuf';

  t.test(`${encoding}: SUBSCRIBED without its payload is a protocol error: logged, connection dropped, re-subscribed`, async (t) => {
    const { agent, exec } = await startExecutor(t, encoding, { subscriptionBackoffMax: '100ms' });
    const again = agent.waitForSubscribed();
    agent.sendRaw(encodeRecord(codecs.executor.Event.encode({ type: 'SUBSCRIBED' }, contentType)));
    await within(again, 5000, 'a new SUBSCRIBE after the payload-less SUBSCRIBED');
    t.ok(logLines(exec).some((l) => l.msg === 'SUBSCRIBED event without its subscribed payload; dropping the connection'), 'logged');
    // Fully subscribed again: tasks get the executor container as parent, KILL says TASK_KILLING.
    const id = uniqueId('after-bad-subscribed');
    agent.launch(shellTask(id, `exec ${fixture('sleeper.sh')}`));
    const starting = await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_STARTING');
    t.same(starting.container_status?.container_id?.parent, agent.containerId, 'task container has the executor container as parent');
    await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
    agent.kill(id);
    await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_KILLING');
    t.equal((await agent.waitForTerminal(id)).state, 'TASK_KILLED');
    t.same(await exec.exited, { code: 0, signal: null });
  });
}

/**
 * A LAUNCH whose TaskInfo has ContainerInfo.type (required enum) = 99, a value nobody
 * knows: proto2 decoding drops it, so the TaskInfo can never be encoded again.
 */
function launchWithUnknownContainerType(task: mesos.TaskInfo): Buffer {
  const marker = 'UNKNOWN-ENUM-MARKER';
  const bytes = codecs.executor.Event.encodeBinary({ type: 'LAUNCH', launch: { task: { ...task, container: { type: 'MESOS', hostname: marker } } } });
  // ContainerInfo: `08 <type>` then `22 <len> <hostname>`; the type byte becomes 99.
  const at = bytes.indexOf(Buffer.concat([Buffer.from([0x22, marker.length]), Buffer.from(marker)]));
  if (at < 2 || bytes[at - 2] !== 0x08) throw new Error('ContainerInfo bytes not found');
  bytes[at - 1] = 0x63;
  return encodeRecord(bytes);
}

async function badLaunchThenRestart(t: Test, encoding: 'json' | 'protobuf', raw: Buffer, id: string) {
  const { agent, exec } = await startExecutor(t, encoding, { autoAcknowledge: false, subscriptionBackoffMax: '100ms' });
  const keeper = uniqueId('keeper');
  agent.launch(shellTask(keeper, `exec ${fixture('sleeper.sh')}`));
  const keeperPid = Number(await waitForFile(path.join(agent.sandbox, 'tasks', keeper, 'pid')));
  // The executor either answers the task (TASK_ERROR) or, if the event does not even
  // decode, drops the connection and re-subscribes (executor-api.md §8 [Decision]).
  const reacted = Promise.race([agent.waitForUpdate((s) => s.task_id.value === id), new Promise((resolve) => agent.once('subscribe', resolve))]);
  agent.sendRaw(raw);
  await within(reacted, 5000, 'TASK_ERROR or a re-subscription');
  // A task run to its end after that: the executor is still fully at work.
  const probe = uniqueId('probe');
  agent.launch(shellTask(probe, 'true'));
  await agent.waitForTerminal(probe);
  // The agent restarts before anything was acknowledged: SUBSCRIBE must carry every task.
  const again = agent.waitForSubscribed();
  const exitedEarly = exec.exited.then((e) => Promise.reject(new Error(`executor exited ${JSON.stringify(e)}`)));
  await agent.restart();
  const call: executor.Call = await within(Promise.race([again, exitedEarly]), 10_000, 're-subscription after the agent restart');
  const carried = (call.subscribe?.unacknowledged_tasks ?? []).map((i) => i.task_id.value);
  t.ok(carried.includes(keeper), 'the other task is carried in SUBSCRIBE');
  const badUpdates = agent.updates.filter((u) => u.status.task_id.value === id && !u.duplicate).map((u) => u.status);
  t.ok(badUpdates.every((s) => s.state === 'TASK_ERROR'), `the bad task got nothing but TASK_ERROR (${badUpdates.map((s) => s.state).join(', ') || 'nothing'})`);
  for (const s of badUpdates) t.match(s.message, /TaskInfo cannot be encoded again/);
  t.equal(process.kill(keeperPid, 0), true, 'the other task still runs, same pid');
  for (const u of agent.updates) agent.acknowledge(u.status.uuid!);
  agent.on('update', (u) => agent.acknowledge(u.status.uuid!));
  agent.kill(keeper);
  t.equal((await agent.waitForTerminal(keeper)).state, 'TASK_KILLED');
  t.same(await exec.exited, { code: 0, signal: null });
}

t.test('protobuf: a TaskInfo that decodes but cannot be encoded again gets TASK_ERROR; the agent restarting before its ack does not kill the executor', async (t) => {
  const id = uniqueId('unknown-container-type');
  await badLaunchThenRestart(t, 'protobuf', launchWithUnknownContainerType(shellTask(id, 'sleep 1000')), id);
});

t.test('json: an unknown enum name in a TaskInfo neither kills the executor nor breaks the next SUBSCRIBE', async (t) => {
  const id = uniqueId('unknown-container-type');
  const json = JSON.stringify({ type: 'LAUNCH', launch: { task: { ...shellTask(id, 'sleep 1000'), container: { type: 'TELEPORTER' } } } });
  await badLaunchThenRestart(t, 'json', encodeRecord(Buffer.from(json)), id);
});

t.test('an update that became unencodable is carried in SUBSCRIBE in its minimal form (same uuid), with a log line', async (t) => {
  const label: mesos.Label = { key: 'corruptible', value: 'x' };
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(JSON.parse(chunk.toString())), cb()) });
  const { agent, exited } = await startInProcessExecutor(t, 'protobuf', { autoAcknowledge: false, subscriptionBackoffMax: '100ms' }, {
    clock: systemClock,
    extraStatusLabels: [label],
    logger: createLogger({ name: 'executor', level: 'error', destination: sink }),
  });
  const id = uniqueId('corrupted-update');
  agent.launch(shellTask(id, `exec ${fixture('sleeper.sh')}`));
  const running = await agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
  // Label.key is required: the stored STARTING and RUNNING updates can no longer be encoded.
  delete (label as Partial<mesos.Label>).key;
  const again = agent.waitForSubscribed();
  await agent.restart();
  const call = await within(again, 10_000, 're-subscription');
  const carried = (call.subscribe?.unacknowledged_updates ?? []).map((u) => u.status);
  t.same(carried.map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING'], 'both carried, in order');
  t.same(carried[1]!.uuid, running.uuid, 'same uuid');
  t.equal(carried[1]!.labels, undefined, 'without the part that could not be encoded');
  t.ok(lines.some((l) => l.msg === 'status update cannot be encoded; SUBSCRIBE carries its minimal form' && l.task_id === id), 'logged with task_id');
  label.key = 'corruptible';
  agent.on('update', (u) => agent.acknowledge(u.status.uuid!));
  for (const u of agent.updates) agent.acknowledge(u.status.uuid!);
  agent.kill(id);
  t.equal((await agent.waitForTerminal(id)).state, 'TASK_KILLED');
  t.equal(await exited, 0);
});
