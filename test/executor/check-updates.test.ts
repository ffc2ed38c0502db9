import t from 'tap';
import { ManualClock } from '../../common/clock.js';
import { checkUpdate, emptyCheckStatus, healthUpdate, launchNeedsChecks, readinessUpdate, taskNeedsChecks } from '../../executor/check-updates.js';
import { createTaskStatus } from '../../executor/status-updates.js';
import { shellTask } from '../helpers/tasks.js';

const clock = new ManualClock(1_700_000_000_000);
const running = () =>
  createTaskStatus({ taskId: 'T', state: 'TASK_RUNNING', checkStatus: { type: 'TCP', tcp: {} }, labels: [{ key: 'a', value: '1' }], containerId: { value: 'c' } }, 'E', clock);

t.test('the empty check status of each type; none for UNKNOWN', async (t) => {
  t.same(emptyCheckStatus({ type: 'COMMAND' }), { type: 'COMMAND', command: {} });
  t.same(emptyCheckStatus({ type: 'HTTP' }), { type: 'HTTP', http: {} });
  t.same(emptyCheckStatus({ type: 'TCP' }), { type: 'TCP', tcp: {} });
  t.equal(emptyCheckStatus({ type: 'UNKNOWN' }), undefined);
});

t.test('which tasks need the checks engine', async (t) => {
  t.notOk(taskNeedsChecks(shellTask('a', 'true')));
  t.ok(taskNeedsChecks(shellTask('a', 'true', { health_check: { type: 'TCP', tcp: { port: 1 } } })));
  t.ok(taskNeedsChecks(shellTask('a', 'true', { check: { type: 'TCP', tcp: { port: 1 } } })));
  t.ok(taskNeedsChecks(shellTask('a', 'true', { labels: { labels: [{ key: 'mesos-sidecar.readiness-check', value: '{}' }] } })));
  t.ok(launchNeedsChecks({ type: 'LAUNCH_GROUP', launch_group: { task_group: { tasks: [shellTask('a', 'true'), shellTask('b', 'true', { check: { type: 'TCP' } })] } } }));
  t.notOk(launchNeedsChecks({ type: 'KILL', kill: { task_id: { value: 'a' } } }));
});

t.test('health, check and readiness updates copy the last status and change one thing', async (t) => {
  const last = running();
  clock.advance(1500);
  const h = healthUpdate(last, { healthy: false, kill: false, message: 'TCP health check failed 1 of 3: refused' }, clock);
  t.equal(h.reason, 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED');
  t.equal(h.healthy, false);
  t.equal(h.timestamp, last.timestamp! + 1.5, 'new timestamp');
  t.not(h.uuid!.toString('hex'), last.uuid!.toString('hex'), 'new uuid');
  t.same(h.check_status, last.check_status, 'the check status is kept');
  t.same(h.container_status, last.container_status);

  const c = checkUpdate(h, { type: 'TCP', tcp: { succeeded: true } }, 'TCP check result: connected', clock);
  t.equal(c.reason, 'REASON_TASK_CHECK_STATUS_UPDATED');
  t.same(c.check_status, { type: 'TCP', tcp: { succeeded: true } });
  t.equal(c.healthy, false, 'the health verdict is kept');
  t.same(h.check_status, { type: 'TCP', tcp: {} }, 'the source status is not modified');

  const r = readinessUpdate(c, [{ key: 'b', value: '2' }, { key: 'a', value: 'replaced' }], 'ready', clock);
  t.notOk('reason' in r);
  t.same(r.labels?.labels, [{ key: 'a', value: 'replaced' }, { key: 'b', value: '2' }], 'labels merged by key');
  t.equal(r.state, 'TASK_RUNNING');
});
