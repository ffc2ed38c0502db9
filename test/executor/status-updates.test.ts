import t from 'tap';
import { ManualClock } from '../../common/clock.js';
import { createLogger } from '../../common/logger.js';
import type { executor, mesos } from '../../proto/codec.js';
import { copyTaskStatus, createTaskStatus, newUuid, StatusUpdateManager } from '../../executor/status-updates.js';
import { isTerminalState } from '../../proto/task-state.js';

const logger = createLogger({ name: 'test', level: 'silent' });

function harness() {
  const clock = new ManualClock();
  const posted: Array<{ update: executor.Call.Update; settle: (ok: boolean) => void }> = [];
  const manager = new StatusUpdateManager({
    clock,
    logger,
    random: () => 1,
    post: (update) => new Promise<void>((resolve, reject) => posted.push({ update, settle: (ok) => (ok ? resolve() : reject(new Error('503'))) })),
  });
  const status = (taskId: string, state: mesos.TaskState) => createTaskStatus({ taskId, state }, 'E', clock);
  return { clock, posted, manager, status };
}

const flush = () => new Promise((r) => setImmediate(r));

t.test('a v4 uuid: 16 bytes, version nibble 4, RFC 4122 variant', async (t) => {
  const u = newUuid();
  t.equal(u.length, 16);
  t.equal(u[6]! >> 4, 4);
  t.equal(u[8]! >> 6, 2);
});

t.test('from-scratch status: SOURCE_EXECUTOR, executor id, timestamp in seconds, container', async (t) => {
  const clock = new ManualClock(1_700_000_000_250);
  const s = createTaskStatus({ taskId: 'T', state: 'TASK_STARTING', containerId: { value: 'c', parent: { value: 'p' } }, labels: [] }, 'E', clock);
  t.equal(s.source, 'SOURCE_EXECUTOR');
  t.equal(s.executor_id?.value, 'E');
  t.equal(s.timestamp, 1_700_000_000.25);
  t.same(s.container_status, { container_id: { value: 'c', parent: { value: 'p' } } });
  t.notOk('labels' in s, 'no empty labels');
  const copy = copyTaskStatus({ ...s, reason: 'REASON_TASK_CHECK_STATUS_UPDATED', healthy: true }, clock);
  t.not(copy.uuid!.toString('hex'), s.uuid!.toString('hex'), 'copy gets a new uuid');
  t.notOk('reason' in copy, 'and no reason');
  t.equal(copy.healthy, true, 'the rest is kept');
  t.ok(isTerminalState('TASK_DROPPED'));
  t.notOk(isTerminalState('TASK_KILLING'));
});

t.test('unacknowledged updates keep insertion order until ACKNOWLEDGED; acked tasks are remembered', async (t) => {
  const { manager, status } = harness();
  const a = status('a', 'TASK_STARTING');
  const b = status('b', 'TASK_STARTING');
  const a2 = status('a', 'TASK_RUNNING');
  for (const s of [a, b, a2]) manager.send(s);
  t.same(manager.snapshot().updates, [a, b, a2]);
  t.equal(manager.acknowledge(b.uuid!), b);
  t.equal(manager.acknowledge(b.uuid!), undefined, 'unknown (already acked) uuid');
  t.same(manager.snapshot().updates, [a, a2]);
  t.ok(manager.isTaskAcknowledged('b'));
  t.notOk(manager.isTaskAcknowledged('a'));
  t.equal(manager.size, 2);
});

t.test('nothing is POSTed while disconnected; after SUBSCRIBED new updates are, one per task at a time', async (t) => {
  const { manager, status, posted } = harness();
  manager.send(status('a', 'TASK_STARTING'));
  t.equal(posted.length, 0, 'stored for the next SUBSCRIBE');
  const carried = manager.snapshot();
  t.equal(carried.updates.length, 1, 'the SUBSCRIBE carries it');
  manager.onSubscribed(carried);
  const r1 = status('a', 'TASK_RUNNING');
  const r2 = status('a', 'TASK_FINISHED');
  const other = status('b', 'TASK_RUNNING');
  manager.send(r1);
  manager.send(r2);
  manager.send(other);
  t.same(posted.map((p) => p.update.status.state), ['TASK_RUNNING', 'TASK_RUNNING'], "task a's second update waits for its first; task b goes in parallel");
  posted[0]!.settle(true);
  await flush();
  t.same(posted.map((p) => p.update.status.task_id.value + ':' + p.update.status.state), ['a:TASK_RUNNING', 'b:TASK_RUNNING', 'a:TASK_FINISHED']);
});

t.test('a refused POST is retried after the backoff on the injected clock, in order, never dropped', async (t) => {
  const { manager, status, posted, clock } = harness();
  manager.onSubscribed(manager.snapshot());
  const s1 = status('a', 'TASK_STARTING');
  const s2 = status('a', 'TASK_RUNNING');
  manager.send(s1);
  manager.send(s2);
  posted[0]!.settle(false);
  await flush();
  t.equal(posted.length, 1, 'no retry before the backoff');
  clock.advance(100);
  t.equal(posted.length, 2);
  t.equal(posted[1]!.update.status, s1, 'the same update (same uuid) again, not the next one');
  posted[1]!.settle(false);
  await flush();
  clock.advance(199);
  t.equal(posted.length, 2, 'second retry waits longer (200 ms)');
  clock.advance(1);
  posted[2]!.settle(true);
  await flush();
  t.equal(posted[3]!.update.status, s2, 'then the next update of the task');
  t.equal(manager.size, 2, 'both still unacknowledged until ACKNOWLEDGED');
});

t.test('a disconnection cancels retries; the pending updates wait for the SUBSCRIBE', async (t) => {
  const { manager, status, posted, clock } = harness();
  manager.onSubscribed(manager.snapshot());
  const s = status('a', 'TASK_STARTING');
  manager.send(s);
  posted[0]!.settle(false);
  await flush();
  manager.onDisconnected();
  clock.advance(10_000);
  t.equal(posted.length, 1, 'no POST while disconnected');
  t.same(manager.snapshot().updates, [s]);
  t.ok(manager.hasUnacknowledgedTerminal('a') === false);
});

t.test('an update created after the SUBSCRIBE was built is POSTed once SUBSCRIBED arrives', async (t) => {
  const { manager, status, posted } = harness();
  const carried = status('a', 'TASK_RUNNING');
  manager.send(carried);
  const snapshot = manager.snapshot();
  t.same(snapshot.updates, [carried], 'SUBSCRIBE built');
  // The task ends while that SUBSCRIBE is on its way.
  const late = status('a', 'TASK_FINISHED');
  manager.send(late);
  t.equal(posted.length, 0, 'not POSTed while not subscribed');
  manager.onSubscribed(snapshot);
  t.same(posted.map((p) => p.update.status), [late], 'only the update the SUBSCRIBE did not carry');
  t.equal(manager.size, 2, 'both wait for their ACKNOWLEDGED');
});

t.test('unacknowledged terminal updates are counted per task through send, acknowledge, replace and forget', async (t) => {
  const { manager, status } = harness();
  const running = status('a', 'TASK_RUNNING');
  const finished = status('a', 'TASK_FINISHED');
  const steps: Array<[string, () => void, boolean]> = [
    ['RUNNING sent', () => manager.send(running), false],
    ['FINISHED sent', () => manager.send(finished), true],
    ['FINISHED replaced by its minimal form (still terminal)', () => manager.replace((({ labels: _, ...minimal }) => minimal)(finished)), true],
    ['RUNNING acknowledged', () => manager.acknowledge(running.uuid!), true],
    ['FINISHED forgotten (could not be encoded)', () => manager.forget(finished), false],
  ];
  for (const [what, step, expected] of steps) {
    step();
    t.equal(manager.hasUnacknowledgedTerminal('a'), expected, what);
  }
  const failed = status('b', 'TASK_FAILED');
  manager.send(failed);
  t.ok(manager.hasUnacknowledgedTerminal('b'));
  manager.acknowledge(failed.uuid!);
  t.notOk(manager.hasUnacknowledgedTerminal('b'), 'acknowledged');
  t.equal(manager.size, 0);
  t.ok(manager.isTaskAcknowledged('b'));
  manager.forgetTask('b');
  t.notOk(manager.isTaskAcknowledged('b'), 'a forgotten task is no longer remembered');
});

t.test('snapshot() has no side effects: only the snapshot handed to onSubscribed decides what is POSTed', async (t) => {
  // Input: two SUBSCRIBEs built (a retry after 503 rebuilds it), the first one answered.
  // Before the split, building the second SUBSCRIBE overwrote what the first carried.
  const { manager, status, posted } = harness();
  const a = status('a', 'TASK_RUNNING');
  manager.send(a);
  const first = manager.snapshot();
  const late = status('a', 'TASK_FINISHED');
  manager.send(late);
  const second = manager.snapshot();
  t.same(second.updates, [a, late], 'a later snapshot sees both');
  t.same(first.updates, [a], 'an earlier snapshot is not changed by later ones');
  manager.onSubscribed(first);
  t.same(posted.map((p) => p.update.status), [late], 'what the answered SUBSCRIBE did not carry is POSTed');
  t.equal(manager.size, 2, 'snapshots never drop anything');
});
