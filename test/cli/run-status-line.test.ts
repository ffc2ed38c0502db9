import t from 'tap';
import { formatCheckStatus, formatStatusLine, formatTimestamp } from '../../cli/status-line.js';

const ts = new Date(2026, 0, 2, 3, 4, 5, 67).getTime() / 1000;

t.test('timestamp is local wall-clock time with milliseconds', async (t) => {
  t.equal(formatTimestamp(ts), '03:04:05.067');
});

t.test('a plain update shows time, task and state only', async (t) => {
  t.equal(formatStatusLine({ task_id: { value: 'web' }, state: 'TASK_RUNNING', timestamp: ts, source: 'SOURCE_EXECUTOR' }), '03:04:05.067  web  TASK_RUNNING');
});

t.test('health, reason, check, labels and message appear when present', async (t) => {
  const line = formatStatusLine(
    {
      task_id: { value: 'web' },
      state: 'TASK_RUNNING',
      timestamp: ts,
      healthy: false,
      reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED',
      check_status: { type: 'HTTP', http: { status_code: 503 } },
      labels: { labels: [{ key: 'ready', value: 'true' }, { key: 'url', value: 'http://x' }] },
      message: 'HTTP health check failed',
    },
    { taskWidth: 6, hiddenLabels: new Set(['url']), duplicate: true },
  );
  t.equal(
    line,
    '03:04:05.067  web     TASK_RUNNING   healthy=false  reason=REASON_TASK_HEALTH_CHECK_STATUS_UPDATED  check="HTTP status_code=503"  label:ready="true"  message="HTTP health check failed"  (resent)',
  );
});

t.test('check statuses of each type, and an empty one is pending', async (t) => {
  t.equal(formatCheckStatus({ type: 'COMMAND', command: { exit_code: 1 } }), 'COMMAND exit_code=1');
  t.equal(formatCheckStatus({ type: 'TCP', tcp: { succeeded: false } }), 'TCP succeeded=false');
  t.equal(formatCheckStatus({ type: 'HTTP', http: {} }), 'HTTP pending');
});
