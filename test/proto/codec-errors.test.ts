// Decode failures are CodecErrors that name the field, never TypeError or RangeError, and
// whatever decodes re-encodes (issue 8, item 7). Each case names the bytes and the error.
import t, { type Test } from 'tap';
import { codecs, JSON_TYPE, PROTOBUF_TYPE } from '../../proto/codec.js';
import { CodecError } from '../../common/errors.js';
import { MAX_NESTING_DEPTH } from '../../proto/nesting.js';

const task = { name: 'n', task_id: { value: 'T' }, agent_id: { value: 'A' } };
const launchOf = (taskBytes: Buffer): Buffer => {
  // Event{type: LAUNCH (2), launch (4): {task (1): taskBytes}}
  const launch = Buffer.concat([Buffer.from([0x0a, taskBytes.length]), taskBytes]);
  return Buffer.concat([Buffer.from([0x08, 0x02, 0x22, launch.length]), launch]);
};
const taskBytes = codecs.mesos.TaskInfo.encodeBinary(task);

/** Runs `f` and returns the CodecError it throws (fails the test on anything else). */
function codecError(t: Test, f: () => unknown): CodecError | undefined {
  try {
    f();
  } catch (err) {
    t.type(err, CodecError, `${(err as Error).name}: ${(err as Error).message}`);
    return err as CodecError;
  }
  t.fail('decoded without an error');
  return undefined;
}

t.test('binary map<string, Message> entries without key or value', async (t) => {
  // TaskInfo.limits (15) is map<string, Value.Scalar>; Value.Scalar.value (1) is required.
  const emptyEntry = launchOf(Buffer.concat([taskBytes, Buffer.from('7a00', 'hex')]));
  t.match(codecError(t, () => codecs.executor.Event.decodeBinary(emptyEntry))?.message, 'Event.launch.task.limits[].value: required field is missing');
  const keyOnly = launchOf(Buffer.concat([taskBytes, Buffer.from('7a030a0178', 'hex')]));
  t.match(codecError(t, () => codecs.executor.Event.decodeBinary(keyOnly))?.message, 'Event.launch.task.limits[x].value: required field is missing');
  // A value without a key takes the empty key, as protobuf does.
  const valueOnly = Buffer.concat([taskBytes, Buffer.from('7a0b120909000000000000f03f', 'hex')]);
  const decoded = codecs.mesos.TaskInfo.decodeBinary(valueOnly);
  t.same(decoded.limits, { '': { value: 1 } });
  t.same(codecs.mesos.TaskInfo.decodeBinary(codecs.mesos.TaskInfo.encodeBinary(decoded)), decoded, 're-encodes');
});

t.test('binary required enum with an unknown number is a decode error', async (t) => {
  // TaskStatus{task_id: {value: "T"}, state: 99}
  const status = Buffer.from('0a030a01541063', 'hex');
  t.match(codecError(t, () => codecs.mesos.TaskStatus.decodeBinary(status))?.message, /^TaskStatus\.state: unknown TaskState value 99 in a required field/);
  // Inside a LAUNCH: Resource.type (2) is a required Value.Type.
  const resource = Buffer.from('0a0463707573' + '1063', 'hex');
  const withResource = launchOf(Buffer.concat([taskBytes, Buffer.from([0x22, resource.length]), resource]));
  t.match(codecError(t, () => codecs.executor.Event.decodeBinary(withResource))?.message, /^Event\.launch\.task\.resources\[0\]\.type: unknown Value\.Type value 99/);
});

t.test('binary optional and repeated enums with unknown numbers are dropped and re-encode', async (t) => {
  t.same(codecs.executor.Event.decodeBinary(Buffer.from('0863', 'hex')), {}, 'Event.type 99');
  // HealthCheck{type: 99 (8), tcp: {port: 80}} inside a TaskInfo (health_check = 8).
  const hc = Buffer.from('4063' + '4a020850', 'hex');
  const ti = codecs.mesos.TaskInfo.decodeBinary(Buffer.concat([taskBytes, Buffer.from([0x42, hc.length]), hc]));
  t.same(ti.health_check, { tcp: { port: 80 } });
  t.doesNotThrow(() => codecs.mesos.TaskInfo.encodeBinary(ti), 'binary');
  t.doesNotThrow(() => codecs.mesos.TaskInfo.encodeJson(ti), 'JSON');
  // FrameworkInfo.capabilities[].type: GPU_RESOURCES (3), then 99.
  const fw = Buffer.concat([codecs.mesos.FrameworkInfo.encodeBinary({ user: 'u', name: 'n' }), Buffer.from('5202080352020863', 'hex')]);
  t.same(codecs.mesos.FrameworkInfo.decodeBinary(fw).capabilities, [{ type: 'GPU_RESOURCES' }, {}], 'the unknown capability keeps its (now empty) message');
});

t.test('binary failures name the field being read', async (t) => {
  const full = launchOf(taskBytes);
  t.match(codecError(t, () => codecs.executor.Event.decodeBinary(full.subarray(0, full.length - 2)))?.message, /^Event\.launch: truncated/);
  // TaskInfo.name (1) claims 5 bytes, 1 follows.
  t.match(codecError(t, () => codecs.mesos.TaskInfo.decodeBinary(Buffer.from('0a0561', 'hex')))?.message, /^TaskInfo\.name: truncated/);
  t.match(codecError(t, () => codecs.mesos.TaskInfo.decodeBinary(Buffer.from('0f', 'hex')))?.message, /^TaskInfo\.name: invalid wire type 7/);
  t.match(codecError(t, () => codecs.mesos.TaskInfo.decodeBinary(Buffer.from('0001', 'hex')))?.message, /^TaskInfo: invalid field number 0/);
  t.match(codecError(t, () => codecs.executor.Event.decodeBinary(Buffer.from('1200', 'hex')))?.message, /^Event\.subscribed\.executor_info: required field is missing/);
  // 200 nested start-groups in an unknown field (31, wire type 3: tag fb 01).
  t.match(codecError(t, () => codecs.executor.Event.decodeBinary(Buffer.from('fb01'.repeat(200), 'hex')))?.message, /^Event \(field 31\): .*nest/);
});

t.test('binary: a known field with another wire type is skipped as unknown, as protobuf does', async (t) => {
  // Event.type (1, varint) sent as length-delimited, then type HEARTBEAT.
  t.same(codecs.executor.Event.decodeBinary(Buffer.from('0a01ff0809', 'hex')), { type: 'HEARTBEAT' });
});

t.test('binary: a repeated singular message merges, as protobuf does', async (t) => {
  // Two TaskInfos back to back are one TaskInfo: `command` of the second merges into the first's.
  const first = codecs.mesos.TaskInfo.encodeBinary({ ...task, command: { value: 'x' } });
  const second = codecs.mesos.TaskInfo.encodeBinary({ ...task, command: { shell: false } });
  t.same(codecs.mesos.TaskInfo.decodeBinary(Buffer.concat([first, second])).command, { shell: false, value: 'x' });
});

t.test('JSON nesting is bounded before parsing', async (t) => {
  const deep = (n: number) => `{"type":"HEARTBEAT","x":${'['.repeat(n)}${']'.repeat(n)}}`;
  for (const [what, text] of [
    ['5000 arrays under an unknown key', deep(5000)],
    ['5000 arrays next to a 20-digit number (the lossless parser)', `{"n":12345678901234567890,"x":${'['.repeat(5000)}${']'.repeat(5000)}}`],
    ['5000 objects', `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`],
  ] as const) {
    t.match(codecError(t, () => codecs.executor.Event.decodeJson(text))?.message, `Event: JSON nested deeper than ${MAX_NESTING_DEPTH} levels`, what);
  }
  t.same(codecs.executor.Event.decodeJson(deep(MAX_NESTING_DEPTH - 1)), { type: 'HEARTBEAT' }, `${MAX_NESTING_DEPTH} levels are fine`);
  t.same(codecs.executor.Event.decodeJson('{"type":"HEARTBEAT","x":"[[[[{{{{\\"[["}'), { type: 'HEARTBEAT' }, 'brackets inside strings do not count');
});

t.test('JSON map keys that are Object.prototype names are kept', async (t) => {
  const ti = codecs.mesos.TaskInfo.decodeJson('{"name":"n","task_id":{"value":"T"},"agent_id":{"value":"A"},"limits":{"__proto__":{"value":1},"constructor":{"value":2}}}');
  t.same(Object.keys(ti.limits!), ['__proto__', 'constructor']);
  for (const enc of [JSON_TYPE, PROTOBUF_TYPE] as const) {
    const again = codecs.mesos.TaskInfo.decode(codecs.mesos.TaskInfo.encode(ti, enc), enc);
    t.same(Object.entries(again.limits!), [['__proto__', { value: 1 }], ['constructor', { value: 2 }]], `${enc} round trip`);
  }
});

t.test('JSON: an unknown number in an enum names the field and the number', async (t) => {
  t.match(codecError(t, () => codecs.mesos.TaskStatus.decodeJson('{"task_id":{"value":"T"},"state":12345678901234567890}'))?.message, 'TaskStatus.state: unknown value 12345678901234567890');
});

// Found by test/fuzz (codec agent.Call json): each decoded, but did not survive re-encoding.
t.test('fuzz regression: a JSON string with a lone surrogate is refused, not re-encoded as U+FFFD', async (t) => {
  t.match(codecError(t, () => codecs.mesos.TaskStatus.decodeJson('{"task_id":{"value":"\\ud800"},"state":"TASK_RUNNING"}'))?.message, 'TaskStatus.task_id.value: string holds a lone UTF-16 surrogate');
  t.match(codecError(t, () => codecs.mesos.TaskInfo.decodeJson('{"name":"n","task_id":{"value":"T"},"agent_id":{"value":"A"},"limits":{"\\udc00":{"value":1}}}'))?.message, 'TaskInfo.limits: map key holds a lone UTF-16 surrogate');
  t.same(codecs.mesos.TaskStatus.decodeJson('{"task_id":{"value":"\\ud83d\\ude00"},"state":"TASK_RUNNING"}').task_id, { value: '😀' }, 'a surrogate pair is one character');
});

t.test('fuzz regression: an empty JSON map decodes as no map, as in binary', async (t) => {
  const call = codecs.agent.Call.decodeJson('{"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"c"},"limits":{}}}');
  t.same(call.launch_container, { container_id: { value: 'c' } });
  t.same(codecs.agent.Call.decodeBinary(codecs.agent.Call.encodeBinary(call)), call);
});
