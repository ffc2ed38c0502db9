// The TaskInfo edge: what a valid TaskInfo becomes, and for each refusal the field it names,
// the state reported and the message (input → error, one row each).
import t from 'tap';
import { msToDurationInfo } from '../../common/duration.js';
import type { ParsedTaskChecks } from '../../contracts/checks.js';
import type { mesos } from '../../proto/codec.js';
import { commandInfoOf, parseTaskSpec, TaskSpecError, type TaskSpecOptions } from '../../executor/task-spec.js';
import { argvTask, killPolicy, scalarResource, shellTask } from '../helpers/tasks.js';

const json: TaskSpecOptions = { contentType: 'application/json' };

const scalar = scalarResource;

function spec(info: mesos.TaskInfo, options: TaskSpecOptions = json) {
  const parsed = parseTaskSpec(info, options);
  if (!parsed.ok) throw new Error(`expected a spec, got ${parsed.error.message}`);
  return parsed.spec;
}

t.test('a shell task: defaults everywhere', async (t) => {
  const s = spec(shellTask('web', 'echo hi'));
  t.strictSame(s.command, { kind: 'shell', script: 'echo hi' });
  t.equal(s.taskId, 'web');
  t.equal(s.user, undefined);
  t.equal(s.tty, undefined);
  t.equal(s.killGraceMs, 3000, 'the 3 s default of both built-in executors');
  t.equal(s.maxCompletionMs, undefined);
  t.strictSame(s.checks, { kind: 'none' });
  t.equal(s.checkStatus, undefined);
  t.strictSame(s.environment, []);
});

t.test('resources and limits become the container\'s: summed per name, mem below 32 MB kept as asked', async (t) => {
  const s = spec(shellTask('r', 'true', { resources: [scalar('cpus', 0.5), scalar('mem', 16), scalar('mem', 8), scalar('disk', 100)], limits: { cpus: { value: 2 } } }));
  t.strictSame(s.resources, { limits: { cpus: 2 }, cpus: 0.5, mem: 24 });
  t.strictSame(spec(shellTask('none', 'true')).resources, { limits: {} }, 'no resources: no limits');
});

t.test('shell absent means the shell form; shell false is an argv with arguments[0] as argv[0]', async (t) => {
  t.strictSame(spec({ ...shellTask('a', 'x'), command: { value: 'ls -l' } }).command, { kind: 'shell', script: 'ls -l' });
  const argv = spec(argvTask('b', ['/bin/echo', 'one', 'two'])).command;
  t.strictSame(argv, { kind: 'argv', file: '/bin/echo', argv: ['/bin/echo', 'one', 'two'] });
  t.strictSame(commandInfoOf(argv), { shell: false, value: '/bin/echo', arguments: ['/bin/echo', 'one', 'two'] }, 'the launcher seam gets the same command back');
  t.strictSame(commandInfoOf({ kind: 'shell', script: 'true' }), { shell: true, value: 'true' });
});

t.test('user, environment (SECRET left out), tty, kill policy, max completion, checks, role', async (t) => {
  const s = spec(
    shellTask('full', 'true', {
      command: {
        value: 'true',
        user: 'nobody',
        environment: {
          variables: [
            { name: 'A', value: '1' },
            { name: 'EMPTY' },
            { name: 'S', type: 'SECRET', secret: { type: 'VALUE', value: { data: Buffer.from('x') } } },
          ],
        },
      },
      container: { type: 'MESOS', tty_info: { window_size: { columns: 132, rows: 40 } } },
      kill_policy: killPolicy(7000),
      max_completion_time: msToDurationInfo(1500),
      check: { type: 'TCP', tcp: { port: 80 } },
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, allocation_info: { role: 'web' } }],
    }),
  );
  t.equal(s.user, 'nobody');
  t.strictSame(s.environment, [
    { name: 'A', value: '1' },
    { name: 'EMPTY', value: '' },
  ]);
  t.strictSame(s.tty, { columns: 132, rows: 40 });
  t.equal(s.killGraceMs, 7000);
  t.equal(s.maxCompletionMs, 1500);
  t.strictSame(s.checks, { kind: 'unsupported' }, 'checks declared, no engine to parse them');
  t.strictSame(s.checkStatus, { type: 'TCP', tcp: {} }, 'the empty check status every update from scratch carries');
  t.equal(s.allocationRole, 'web');
  t.strictSame(spec(shellTask('tty', 'true', { container: { type: 'MESOS', tty_info: {} } })).tty, { columns: 80, rows: 24 }, 'no window size: 80×24');
  t.equal(spec(shellTask('zero', 'true', { max_completion_time: msToDurationInfo(0) })).maxCompletionMs, undefined, '0 means no limit');
});

// Each refusal: the input, the field named, the state reported, the message.
const refusals: Array<[string, mesos.TaskInfo, string, 'TASK_ERROR' | 'TASK_FAILED', RegExp]> = [
  ['no command', (({ command: _, ...rest }) => rest)(shellTask('r1', 'x')), 'TaskInfo.command', 'TASK_FAILED', /^Task has no command: TaskInfo\.command is not set$/],
  ['empty command value', shellTask('r2', ''), 'TaskInfo.command.value', 'TASK_FAILED', /^Task has no command: TaskInfo\.command\.value is not set$/],
  ['argv without value', { ...argvTask('r3', ['x']), command: { shell: false, arguments: ['x'] } }, 'TaskInfo.command.value', 'TASK_FAILED', /TaskInfo\.command\.value is not set/],
  [
    'negative kill grace',
    shellTask('r4', 'true', { kill_policy: { grace_period: { nanoseconds: -1n } } }),
    'TaskInfo.kill_policy.grace_period',
    'TASK_ERROR',
    /^TaskInfo\.kill_policy\.grace_period must be >= 0, got -1ns$/,
  ],
  [
    'negative max_completion_time',
    shellTask('r5', 'true', { max_completion_time: { nanoseconds: -5n } }),
    'TaskInfo.max_completion_time',
    'TASK_ERROR',
    /^TaskInfo\.max_completion_time must be >= 0, got -5ns$/,
  ],
  [
    'zero-column TTY',
    shellTask('r6', 'true', { container: { type: 'MESOS', tty_info: { window_size: { columns: 0, rows: 24 } } } }),
    'TaskInfo.container.tty_info.window_size.columns',
    'TASK_ERROR',
    /^TaskInfo\.container\.tty_info\.window_size\.columns must be between 1 and 65535, got 0$/,
  ],
  [
    'TTY rows past a winsize',
    shellTask('r7', 'true', { container: { type: 'MESOS', tty_info: { window_size: { columns: 80, rows: 70000 } } } }),
    'TaskInfo.container.tty_info.window_size.rows',
    'TASK_ERROR',
    /window_size\.rows must be between 1 and 65535, got 70000$/,
  ],
  // resources: what the master's validation refuses (containerizer/resources.ts)
  ...(
    [
      ['negative cpus', [scalar('cpus', -1)], undefined, 'TaskInfo.resources.cpus', /^Invalid resource 'TaskInfo\.resources\.cpus': must not be negative, got -1$/],
      ['NaN mem', [scalar('mem', Number.NaN)], undefined, 'TaskInfo.resources.mem', /^Invalid resource 'TaskInfo\.resources\.mem': expected a number, got NaN$/],
      ['infinite mem', [scalar('mem', Number.POSITIVE_INFINITY)], undefined, 'TaskInfo.resources.mem', /must be finite$/],
      ['mem as a RANGES', [{ name: 'mem', type: 'RANGES' as const, ranges: { range: [] } }], undefined, 'TaskInfo.resources[0].mem', /expected a SCALAR, got RANGES$/],
      ['a limit below its request', [scalar('mem', 64)], { mem: { value: 32 } }, 'TaskInfo.limits.mem', /^Invalid resource 'TaskInfo\.limits\.mem': limit 32 is below the request 64$/],
      ['a limit on disk', [scalar('mem', 64)], { disk: { value: 10 } }, 'TaskInfo.limits.disk', /only 'cpus' and 'mem' may be limited$/],
      ['a negative limit', [], { cpus: { value: -2 } }, 'TaskInfo.limits.cpus', /must not be negative, got -2$/],
    ] as Array<[string, mesos.Resource[], mesos.TaskInfo['limits'], string, RegExp]>
  ).map(([name, resources, limits, field, message]): [string, mesos.TaskInfo, string, 'TASK_ERROR', RegExp] => [name, shellTask('res', 'true', { resources, ...(limits ? { limits } : {}) }), field, 'TASK_ERROR', message]),
];

t.test('every refusal names its field', async (t) => {
  for (const [name, info, field, state, message] of refusals) {
    const parsed = parseTaskSpec(info, json);
    if (parsed.ok) {
      t.fail(`${name}: accepted`);
      continue;
    }
    t.ok(parsed.error instanceof TaskSpecError, name);
    t.equal(parsed.error.code, 'E_TASK_INVALID', name);
    t.equal(parsed.error.field, field, name);
    t.equal(parsed.error.state, state, name);
    t.match(parsed.error.message, message, name);
    t.equal(parsed.identity.taskId, info.task_id.value, `${name}: the refused task can still be reported`);
  }
});

t.test('the checks engine parses the definitions into the spec, or refuses naming the field; not asked for tasks without checks', async (t) => {
  const asked: string[] = [];
  const definitions = { check: { kind: 'check', probe: { type: 'TCP', host: '127.0.0.1', port: 80 }, delayMs: 0, intervalMs: 1000, timeoutMs: 0 } } as const;
  const parseChecks = (info: mesos.TaskInfo): ParsedTaskChecks => {
    asked.push(info.task_id.value);
    return info.health_check
      ? { ok: false, field: 'TaskInfo.health_check.http.port', message: 'TaskInfo.health_check.http.port must be in 1..65535, got 0' }
      : { ok: true, definitions };
  };
  const parsed = parseTaskSpec(shellTask('hc', 'true', { health_check: { type: 'HTTP', http: { port: 0 } } }), { ...json, parseChecks });
  t.notOk(parsed.ok);
  if (!parsed.ok) {
    t.equal(parsed.error.state, 'TASK_ERROR');
    t.equal(parsed.error.field, 'TaskInfo.health_check.http.port', 'the field the checks engine named, not a placeholder');
    t.equal(parsed.error.message, 'TaskInfo.health_check.http.port must be in 1..65535, got 0');
  }
  t.strictSame(spec(shellTask('tcp', 'true', { check: { type: 'TCP', tcp: { port: 80 } } }), { ...json, parseChecks }).checks, { kind: 'parsed', definitions });
  t.strictSame(spec(shellTask('plain', 'true'), { ...json, parseChecks }).checks, { kind: 'none' });
  t.strictSame(asked, ['hc', 'tcp']);
});

t.test('a TaskInfo that cannot be encoded again is refused with TASK_ERROR (it could not be resent in SUBSCRIBE)', async (t) => {
  // A required field missing (ContainerInfo.type), as when an unknown enum value was dropped.
  const info = shellTask('enc', 'true', { container: {} as mesos.ContainerInfo });
  const parsed = parseTaskSpec(info, { contentType: 'application/x-protobuf' });
  t.notOk(parsed.ok);
  if (!parsed.ok) {
    t.equal(parsed.error.field, 'TaskInfo');
    t.equal(parsed.error.state, 'TASK_ERROR');
    t.match(parsed.error.message, /^TaskInfo cannot be encoded again \(needed to re-subscribe\): .*type/);
  }
});
