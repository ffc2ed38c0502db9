import t from 'tap';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTaskFile, parseTaskFile, TaskFileError } from '../../cli/task-file.js';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));

t.test('every example loads as what its name says', async (t) => {
  const web = loadTaskFile(join(examples, 'web-server.json'), 'A');
  t.equal(web.kind, 'task');
  t.equal(web.tasks[0]!.health_check?.type, 'HTTP');
  t.equal(web.tasks[0]!.kill_policy?.grace_period?.nanoseconds, 5_000_000_000n);
  t.same(web.warnings, []);
  const failing = loadTaskFile(join(examples, 'failing-task.json'), 'A');
  t.equal(failing.kind, 'task');
  t.same(failing.warnings, []);
  const hello = loadTaskFile(join(examples, 'hello.json'), 'A');
  t.same(hello.tasks[0]!.command?.arguments?.[0], 'sh');
  const group = loadTaskFile(join(examples, 'task-group.json'), 'A');
  t.equal(group.kind, 'group');
  t.equal(group.tasks.length, 3);
  t.same(group.warnings, []);
  t.equal(new Set(group.tasks.map((x) => x.task_id.value)).size, 3, 'generated task ids are distinct');
});

t.test('every examples/*.json loads without warnings', async (t) => {
  const files = readdirSync(examples).filter((f) => f.endsWith('.json'));
  t.ok(files.length >= 5);
  for (const f of files) t.same(loadTaskFile(join(examples, f), 'A').warnings, [], f);
});

t.test('task_id and agent_id are filled only when absent', async (t) => {
  const filled = parseTaskFile('f.json', '{"name":"web 1","command":{"value":"true"}}', 'agent-7');
  t.match(filled.tasks[0]!.task_id.value, /^web-1\.[0-9a-f]{8}$/);
  t.same(filled.tasks[0]!.agent_id, { value: 'agent-7' });
  const given = parseTaskFile('f.json', '{"name":"web","task_id":{"value":"T1"},"agent_id":{"value":"X"},"command":{"value":"true"}}', 'agent-7');
  t.equal(given.tasks[0]!.task_id.value, 'T1');
  t.equal(given.tasks[0]!.agent_id.value, 'X');
});

t.test('int64 beyond 2^53 keeps its exact value', async (t) => {
  const f = parseTaskFile('f.json', '{"name":"w","command":{"value":"true"},"kill_policy":{"grace_period":{"nanoseconds":9007199254740993}}}', 'A');
  t.equal(f.tasks[0]!.kill_policy?.grace_period?.nanoseconds, 9007199254740993n);
});

t.test('unknown keys are reported as warnings, not dropped silently', async (t) => {
  const f = parseTaskFile('f.json', '{"name":"w","comand":{"value":"x"},"command":{"value":"true","shel":false},"health_check":{"type":"HTTP","http":{"port":1,"prot":2}}}', 'A');
  t.same(f.warnings.sort(), ['TaskInfo.comand', 'TaskInfo.command.shel', 'TaskInfo.health_check.http.prot'].sort());
  const g = parseTaskFile('g.json', '{"tasks":[{"name":"a"},{"name":"b","colour":"red"}]}', 'A');
  t.same(g.warnings, ['TaskGroupInfo.tasks[1].colour']);
});

// Each bad input, and the field its error must name.
const bad: Array<[what: string, text: string, field: string | undefined, message: RegExp]> = [
  ['not JSON', '{"name": ', undefined, /not valid JSON/],
  ['a JSON array', '[1,2]', undefined, /expected a JSON object/],
  ['TaskInfo without name', '{"command":{"value":"true"}}', 'TaskInfo.name', /TaskInfo\.name: required field is missing/],
  ['shell that is not a boolean', '{"name":"w","command":{"shell":"yes","value":"true"}}', 'TaskInfo.command.shell', /TaskInfo\.command\.shell: expected a boolean/],
  ['negative-looking port out of range', '{"name":"w","command":{"value":"true"},"health_check":{"type":"TCP","tcp":{"port":99999999999}}}', 'TaskInfo.health_check.tcp.port', /out of range/],
  ['empty task group', '{"tasks":[]}', 'TaskGroupInfo.tasks', /non-empty array/],
  ['group member that is not an object', '{"tasks":["x"]}', 'TaskGroupInfo.tasks[0]', /expected a TaskInfo object/],
  ['group member without name', '{"tasks":[{"name":"a","command":{"value":"true"}},{"command":{"value":"true"}}]}', 'TaskGroupInfo.tasks[1].name', /required field is missing/],
  ['duplicate task ids in a group', '{"tasks":[{"name":"a","task_id":{"value":"T"}},{"name":"b","task_id":{"value":"T"}}]}', 'TaskGroupInfo.tasks[1].task_id.value', /"T" is already used by tasks\[0\]/],
  ['empty task id', '{"name":"a","task_id":{"value":""}}', 'TaskInfo.task_id.value', /must not be empty/],
  // One rule for every unknown enum name, optional field or required, at any depth.
  ['optional enum misspelt (was dropped, then "type is required")', '{"name":"w","health_check":{"type":"HTPP","http":{"port":1}}}', 'TaskInfo.health_check.type',
    /: TaskInfo\.health_check\.type: unknown enum value "HTPP" \(expected one of COMMAND, HTTP, TCP\)$/],
  ['required enum misspelt', '{"name":"w","container":{"type":"DOCKR"}}', 'TaskInfo.container.type', /TaskInfo\.container\.type: unknown enum value "DOCKR" \(expected one of DOCKER, MESOS\)$/],
  ['enum in a repeated message', '{"name":"w","resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":1}},{"name":"mem","type":"SCALER"}]}', 'TaskInfo.resources[1].type', /TaskInfo\.resources\[1\]\.type: unknown enum value "SCALER" \(expected one of SCALAR, RANGES, SET, TEXT\)$/],
  ['enum number not in the enum', '{"name":"w","check":{"type":7}}', 'TaskInfo.check.type', /TaskInfo\.check\.type: unknown enum value 7 \(expected one of COMMAND, HTTP, TCP\)$/],
  ['enum in a group member', '{"tasks":[{"name":"a"},{"name":"b","health_check":{"type":"TPC"}}]}', 'TaskGroupInfo.tasks[1].health_check.type', /TaskGroupInfo\.tasks\[1\]\.health_check\.type: unknown enum value "TPC"/],
];
for (const [what, text, field, message] of bad) {
  t.test(`bad file: ${what} -> TaskFileError naming ${field ?? 'the file'}`, async (t) => {
    try {
      parseTaskFile('bad.json', text, 'A');
      t.fail('accepted');
    } catch (err) {
      t.ok(err instanceof TaskFileError);
      const e = err as TaskFileError;
      t.equal(e.code, 'E_TASK_FILE');
      t.equal(e.field, field);
      t.match(e.message, /^bad\.json: /);
      t.match(e.message, message);
    }
  });
}

t.test('unreadable file -> TaskFileError with the errno code', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'task-file-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.throws(() => loadTaskFile(join(dir, 'missing.json'), 'A'), { code: 'E_TASK_FILE', message: /cannot read: ENOENT/ });
  writeFileSync(join(dir, 'ok.json'), '{"name":"a"}');
  t.equal(loadTaskFile(join(dir, 'ok.json'), 'A').tasks[0]!.name, 'a');
});
