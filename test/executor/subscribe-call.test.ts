// buildSubscribe: each unacknowledged TaskInfo and update is encoded alone; what fails is
// repaired (updates) or left out, so one bad part never stops the whole SUBSCRIBE.
import t from 'tap';
import { ManualClock } from '../../common/clock.js';
import { codecs, type mesos } from '../../proto/codec.js';
import { createTaskStatus } from '../../executor/status-updates.js';
import { buildSubscribe, minimalStatus } from '../../executor/subscribe-call.js';
import { shellTask } from '../helpers/tasks.js';

const clock = new ManualClock();
const status = (taskId: string, state: mesos.TaskState, extra: Partial<mesos.TaskStatus> = {}): mesos.TaskStatus => ({
  ...createTaskStatus({ taskId, state, message: 'm', containerId: { value: `c-${taskId}` } }, 'E', clock),
  ...extra,
});

for (const contentType of ['application/json', 'application/x-protobuf'] as const) {
  t.test(`${contentType}: good parts pass, a bad update is carried minimal (same uuid), a hopeless one and a bad TaskInfo are left out`, async (t) => {
    const good = status('a', 'TASK_RUNNING');
    // Label.key is required: this update cannot be encoded as it is.
    const badLabel = status('a', 'TASK_FINISHED', { labels: { labels: [{ value: 'no key' } as mesos.Label] } });
    // TaskID.value is required and is part of even the minimal form.
    const hopeless = status('b', 'TASK_RUNNING', { task_id: {} as mesos.TaskID });
    const goodTask = shellTask('a', 'sleep 1');
    const badTask = shellTask('c', 'sleep 1', { container: {} as mesos.ContainerInfo });
    const build = buildSubscribe({ unacknowledgedTasks: [goodTask, badTask], unacknowledgedUpdates: [good, badLabel, hopeless] }, contentType);

    t.same(build.subscribe.unacknowledged_tasks, [goodTask]);
    t.same(build.droppedTasks.map((d) => d.info), [badTask]);
    t.match(build.droppedTasks[0]!.error.message, /type/, 'the error names the missing field');
    t.same(build.subscribe.unacknowledged_updates!.map((u) => u.status.state), ['TASK_RUNNING', 'TASK_FINISHED'], 'order kept');
    const repaired = build.subscribe.unacknowledged_updates![1]!.status;
    t.same(repaired.uuid, badLabel.uuid, 'same uuid: the agent can still deduplicate it');
    t.equal(repaired.labels, undefined);
    t.same(repaired.container_status, badLabel.container_status, 'container id kept');
    t.same(build.repairedUpdates.map((r) => r.original), [badLabel]);
    t.same(build.droppedUpdates.map((d) => d.status), [hopeless]);
    t.doesNotThrow(() => codecs.executor.Call.encode({ type: 'SUBSCRIBE', framework_id: { value: 'F' }, executor_id: { value: 'E' }, subscribe: build.subscribe }, contentType), 'the SUBSCRIBE encodes');
  });
}

t.test('minimalStatus keeps identity, state and what explains it; drops labels, data, check status', async (t) => {
  const full = status('a', 'TASK_FAILED', { reason: 'REASON_COMMAND_EXECUTOR_FAILED', healthy: false, data: Buffer.from('x'), labels: { labels: [{ key: 'k' }] }, check_status: { type: 'COMMAND', command: {} } });
  const m = minimalStatus(full);
  t.same(Object.keys(m).sort(), ['container_status', 'executor_id', 'healthy', 'message', 'reason', 'source', 'state', 'task_id', 'timestamp', 'uuid']);
});
