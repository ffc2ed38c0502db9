// The pure parts of the files API, as tables: query parsing (the agent's 400 texts),
// JSON strings of raw bytes, ls-style modes, /etc/passwd names, virtual path matching,
// and the GET /tasks entry that `ps` reads.
import t from 'tap';
import { constants } from 'node:fs';
import { SwitchboardHttpError } from '../../switchboard/errors.js';
import { modeString, parseIdNames } from '../../switchboard/files/file-info.js';
import { jsonStringOfBytes } from '../../switchboard/files/json-bytes.js';
import { parseInteger, parseReadQuery } from '../../switchboard/files/query.js';
import { sandboxNames, suffixBelow, taskIdOf } from '../../switchboard/files/sandbox-paths.js';
import { CHECK_HISTORY_LENGTH, describeCheckResult, recordCheck, reportsCheck, type CheckHistoryEntry } from '../../contracts/check-history.js';
import { taskEntry } from '../../switchboard/task-listing.js';
import { ISOLATION_LABEL, type TaskView } from '../../contracts/task-view.js';
import type { Container } from '../../containerizer/containerizer.js';
import type { mesos } from '../../proto/codec.js';

t.test('parseInteger reads what numify<int64> reads', async (t) => {
  const cases: Array<[string, bigint | string]> = [
    ['0', 0n],
    ['+7', 7n],
    ['-1', -1n],
    ['0x1F', 31n],
    ['-0x10', -16n],
    ['9223372036854775807', 9223372036854775807n],
    ['9223372036854775808', "Failed to convert '9223372036854775808' to number"],
    ['', "Failed to convert '' to number"],
    [' 1', "Failed to convert ' 1' to number"],
    ['1e3', "Failed to convert '1e3' to number"],
    ['0x', "Failed to convert '0x' to number"],
  ];
  for (const [text, expected] of cases) t.equal(parseInteger(text), expected, JSON.stringify(text));
});

t.test('parseReadQuery: typed request or the agent 400 body', async (t) => {
  const ok: Array<[string, ReturnType<typeof parseReadQuery>]> = [
    ['path=/a', { path: '/a', offset: 'size', length: undefined, jsonp: undefined }],
    ['path=/a&offset=-1&length=-1', { path: '/a', offset: 'size', length: undefined, jsonp: undefined }],
    ['path=/a&offset=3&length=0&jsonp=f', { path: '/a', offset: 3n, length: 0n, jsonp: 'f' }],
  ];
  for (const [query, expected] of ok) t.same(parseReadQuery(new URLSearchParams(query)), expected, query);
  const bad: Array<[string, string]> = [
    ['offset=0', "Expecting 'path=value' in query.\n"],
    ['path=&offset=0', "Expecting 'path=value' in query.\n"],
    ['path=/a&offset=-3', 'Negative offset provided: -3.\n'],
    ['path=/a&offset=x1', "Failed to parse offset: Failed to convert 'x1' to number.\n"],
    ['path=/a&offset=', "Failed to parse offset: Failed to convert '' to number.\n"],
    ['path=/a&length=-9', 'Negative length provided: -9.\n'],
    ['path=/a&length=1.0', "Failed to parse length: Failed to convert '1.0' to number.\n"],
    ['path=/a&jsonp=a(b)', "Invalid 'jsonp' callback name: expecting a JavaScript identifier of at most 128 characters.\n"],
  ];
  for (const [query, body] of bad) {
    let error: unknown;
    try {
      parseReadQuery(new URLSearchParams(query));
    } catch (err) {
      error = err;
    }
    t.ok(error instanceof SwitchboardHttpError, `${query}: a typed error`);
    t.match(error, { status: 400, body }, `${query}: 400 ${JSON.stringify(body)}`);
  }
});

t.test('jsonStringOfBytes escapes as rapidjson and keeps other bytes raw', async (t) => {
  const cases: Array<[number[], string]> = [
    [[], '""'],
    [[0x61, 0x62], '"ab"'],
    [[0x22, 0x5c, 0x2f], '"\\"\\\\/"'],
    [[0x08, 0x09, 0x0a, 0x0c, 0x0d], '"\\b\\t\\n\\f\\r"'],
    [[0x00, 0x1f, 0x7f], '"\\u0000\\u001F\x7f"'],
    [[0xc3, 0xa9, 0xff], '"\xc3\xa9\xff"'],
  ];
  for (const [bytes, json] of cases) {
    const out = jsonStringOfBytes(Buffer.from(bytes));
    t.equal(out.toString('latin1'), json, `bytes ${bytes.join(',')}`);
    t.same(Buffer.from(JSON.parse(out.toString('latin1')) as string, 'latin1'), Buffer.from(bytes), 'decodes back to the bytes');
  }
});

t.test('modeString and owner names', async (t) => {
  const modes: Array<[number, string]> = [
    [constants.S_IFDIR | 0o755, 'drwxr-xr-x'],
    [constants.S_IFREG | 0o644, '-rw-r--r--'],
    [constants.S_IFREG | 0o4755, '-rwxr-xr-x'],
    [constants.S_IFLNK | 0o777, 'lrwxrwxrwx'],
    [constants.S_IFIFO | 0o600, 'prw-------'],
    [constants.S_IFSOCK | 0o700, 'srwx------'],
    [constants.S_IFCHR | 0o620, 'crw--w----'],
    [constants.S_IFBLK | 0o660, 'brw-rw----'],
  ];
  for (const [mode, text] of modes) t.equal(modeString(mode), text, text);
  const names = parseIdNames('root:x:0:0:root:/root:/bin/bash\n# comment\nbroken\nweb:x:1000:1000::/home/web:/bin/sh\ntwin:x:1000:1000::/:/bin/sh\n');
  t.same([...names], [[0, 'root'], [1000, 'web']], 'the first name of an id wins; junk lines skipped');
});

t.test('virtual sandbox names, suffixes and the task a path names', async (t) => {
  const names = sandboxNames({ frameworkId: 'F', executorId: 'E', directory: '/var/lib/mesos/slaves/S/frameworks/F/executors/E/runs/abc/' });
  t.same(names, ['/frameworks/F/executors/E/runs/latest', '/var/lib/mesos/slaves/S/frameworks/F/executors/E/runs/abc', '/var/lib/mesos/slaves/S/frameworks/F/executors/E/runs/latest']);
  const suffixes: Array<[string, string | undefined]> = [
    ['/frameworks/F/executors/E/runs/latest', ''],
    ['/frameworks/F/executors/E/runs/latest/', ''],
    ['/frameworks/F/executors/E/runs/latest/tasks/web/stdout', 'tasks/web/stdout'],
    ['/frameworks/F/executors/E/runs/latestX/stdout', undefined],
    ['/frameworks/F/executors/E2/runs/latest', undefined],
    ['/var/lib/mesos/slaves/S/frameworks/F/executors/E/runs/latest/stderr', 'stderr'],
  ];
  for (const [requested, suffix] of suffixes) t.equal(suffixBelow(requested, names), suffix, requested);
  const tasks: Array<[string, string | undefined]> = [
    ['', undefined],
    ['stdout', undefined],
    ['tasks', undefined],
    ['tasks/web', 'web'],
    ['tasks/web/stdout', 'web'],
    ['tasks/web/../api/stdout', 'api'],
    ['./tasks//web', 'web'],
    ['../tasks/web', undefined],
  ];
  for (const [relative, taskId] of tasks) t.equal(taskIdOf(relative), taskId, relative || '(root)');
});

t.test('describeCheckResult and the GET /tasks entry', async (t) => {
  const base: mesos.TaskStatus = { task_id: { value: 'web' }, state: 'TASK_RUNNING' };
  const cases: Array<[string, mesos.TaskStatus | undefined, string | null]> = [
    ['no status yet', undefined, null],
    ['no check', base, null],
    ['command check', { ...base, check_status: { type: 'COMMAND', command: { exit_code: 3 } } }, 'exit 3'],
    ['http check', { ...base, check_status: { type: 'HTTP', http: { status_code: 503 } } }, 'http 503'],
    ['tcp check', { ...base, check_status: { type: 'TCP', tcp: { succeeded: false } } }, 'tcp failed'],
    ['check without a result yet', { ...base, check_status: { type: 'HTTP', http: {} } }, null],
    ['health message', { ...base, healthy: true, message: 'HTTP health check passed' }, 'HTTP health check passed'],
    ['long health message cut', { ...base, healthy: false, message: 'x'.repeat(100) }, `${'x'.repeat(59)}…`],
  ];
  for (const [what, status, text] of cases) t.equal(describeCheckResult(status), text, what);

  const view: TaskView = {
    taskId: 'web',
    containerId: { value: 'c1', parent: { value: 'e' } },
    environment: {},
    workingDirectory: '/s/tasks/web',
    terminated: false,
    waitStatus: undefined,
    exited: new Promise(() => {}),
    lastStatus: { ...base, healthy: true, message: 'ok' },
    launchedAt: 1_000_000,
  };
  t.same(taskEntry(view, 1_000_000 + 125_900, { frameworkId: 'F', executorId: 'E', directory: '/s' }), {
    task_id: 'web',
    container_id: { value: 'c1', parent: { value: 'e' } },
    tty: false,
    terminated: false,
    state: 'TASK_RUNNING',
    healthy: true,
    last_check: 'ok',
    age_seconds: 125,
    sandbox_path: '/frameworks/F/executors/E/runs/latest/tasks/web',
    isolation: null,
    check_history: [],
    reason: null,
    message: 'ok',
  });
  const bare = taskEntry({ ...view, lastStatus: undefined, launchedAt: undefined }, 0, undefined);
  t.match(bare, { state: null, healthy: null, last_check: null, age_seconds: null, sandbox_path: null }, 'a view without the ps fields');
  // The isolation: the task's label wins over what its container says.
  const labelled = { ...view, lastStatus: { ...base, labels: { labels: [{ key: ISOLATION_LABEL, value: 'namespaces' }] } } };
  t.equal(taskEntry(labelled, 0, undefined).isolation, 'namespaces', 'from the mesos-sidecar.isolation label');
  const contained = { ...view, container: { isolation: { namespaces: true, cgroups: true } } as unknown as Container };
  t.equal(taskEntry(contained, 0, undefined).isolation, 'namespaces,cgroups', 'without a label: describe(container.isolation)');
});

t.test('check history: runs of one result collapse, changes are kept up to the bound', async (t) => {
  const update = (code: number, healthy?: boolean): mesos.TaskStatus => ({
    task_id: { value: 'web' },
    state: 'TASK_RUNNING',
    reason: healthy === undefined ? 'REASON_TASK_CHECK_STATUS_UPDATED' : 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED',
    check_status: { type: 'HTTP', http: { status_code: code } },
    ...(healthy === undefined ? {} : { healthy }),
  });
  const history: CheckHistoryEntry[] = [];
  recordCheck(history, update(200), 1000);
  recordCheck(history, update(200), 2000);
  recordCheck(history, update(503), 3000);
  t.same(history, [
    { result: 'http 200', healthy: null, since: 1000, last: 2000, count: 2 },
    { result: 'http 503', healthy: null, since: 3000, last: 3000, count: 1 },
  ]);
  recordCheck(history, update(503, false), 4000);
  t.equal(history.length, 3, 'the same code with a health verdict is a new entry');
  for (let i = 0; i < 3 * CHECK_HISTORY_LENGTH; i++) recordCheck(history, update(i % 2 ? 200 : 500), 5000 + i);
  t.equal(history.length, CHECK_HISTORY_LENGTH, 'bounded');
  t.equal(history.at(-1)!.last, 5000 + 3 * CHECK_HISTORY_LENGTH - 1, 'the newest is kept');
  t.ok(reportsCheck(update(200)) && !reportsCheck({ task_id: { value: 'web' }, state: 'TASK_RUNNING' }), 'only check and health updates are recorded');
});
