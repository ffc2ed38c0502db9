import t from 'tap';
import { codecs } from '../../proto/codec.js';

const uuid = Buffer.from('0f8b3c524d3e4a6b9c1d2e3f4a5b6c7d', 'hex');

t.test('SUBSCRIBE keeps the empty subscribe message in both encodings', async (t) => {
  const call = { type: 'SUBSCRIBE' as const, framework_id: { value: 'F' }, executor_id: { value: 'E' }, subscribe: {} };
  t.equal(codecs.executor.Call.toJsonText(call), '{"executor_id":{"value":"E"},"framework_id":{"value":"F"},"type":"SUBSCRIBE","subscribe":{}}');
  const bin = codecs.executor.Call.encodeBinary(call);
  t.ok(bin.toString('hex').endsWith('2200'), 'subscribe is tag 0x22 with length 0');
  t.same(codecs.executor.Call.decodeBinary(bin), call);
});

t.test('TaskStatus JSON: enum names, zero-valued required enum, base64 uuid, doubles', async (t) => {
  const status = { task_id: { value: 'T' }, state: 'TASK_STARTING' as const, source: 'SOURCE_EXECUTOR' as const, timestamp: 1700000000.25, uuid };
  const text = codecs.mesos.TaskStatus.toJsonText(status);
  t.equal(text, '{"task_id":{"value":"T"},"state":"TASK_STARTING","source":"SOURCE_EXECUTOR","timestamp":1700000000.25,"uuid":"D4s8Uk0+SmucHS4/SltsfQ=="}');
  t.same(codecs.mesos.TaskStatus.decodeJson(text), status);
  const bin = codecs.mesos.TaskStatus.encodeBinary(status);
  t.equal(bin.subarray(5, 7).toString('hex'), '1000', 'state TASK_STARTING (0) is written');
  t.same(codecs.mesos.TaskStatus.decodeBinary(bin), status);
});

t.test('explicit defaults are written to JSON, implicit zero values are not', async (t) => {
  const hc = codecs.mesos.HealthCheck.decodeJson('{"type":"TCP","tcp":{"port":80}}');
  t.same(hc, { type: 'TCP', tcp: { port: 80 } }, 'decoding does not invent defaults');
  t.equal(
    codecs.mesos.HealthCheck.toJsonText(hc),
    '{"delay_seconds":15.0,"interval_seconds":10.0,"timeout_seconds":20.0,"consecutive_failures":3,"grace_period_seconds":10.0,"type":"TCP","tcp":{"protocol":"IPv4","port":80}}',
  );
  t.equal(codecs.mesos.HealthCheck.fieldDefault('consecutive_failures'), 3);
  t.equal(codecs.mesos.CommandInfo.fieldDefault('shell'), true);
});

t.test('64-bit integers survive both encodings exactly', async (t) => {
  const text = '{"grace_period":{"nanoseconds":9223372036854775807}}';
  const kp = codecs.executor.Event.decodeJson(`{"type":"KILL","kill":{"task_id":{"value":"T"},"kill_policy":${text}}}`);
  t.equal(kp.kill?.kill_policy?.grace_period?.nanoseconds, 9223372036854775807n);
  t.match(codecs.executor.Event.toJsonText(kp), /"nanoseconds":9223372036854775807/);
  t.equal(codecs.executor.Event.decodeBinary(codecs.executor.Event.encodeBinary(kp)).kill?.kill_policy?.grace_period?.nanoseconds, 9223372036854775807n);
});

t.test('JSON input: numeric strings, string booleans, null, unknown keys and unknown enum names', async (t) => {
  const ti = codecs.mesos.TaskInfo.decodeJson(
    '{"name":"n","task_id":{"value":"T"},"agent_id":{"value":"A"},"bogus":1,"command":{"shell":"false","value":"x","user":null},"health_check":{"type":"NOPE","delay_seconds":"1.5","consecutive_failures":"2"}}',
  );
  t.same(ti.command, { shell: false, value: 'x' });
  t.same(ti.health_check, { delay_seconds: 1.5, consecutive_failures: 2 }, 'unknown optional enum name leaves the field unset');
});

t.test('missing required fields and bad values are CodecErrors naming the field', async (t) => {
  t.throws(() => codecs.executor.Event.decodeJson('{"type":"ACKNOWLEDGED","acknowledged":{"task_id":{"value":"T"}}}'), {
    code: 'E_CODEC',
    message: /Event\.acknowledged\.uuid: required field is missing/,
  });
  t.throws(() => codecs.executor.Event.decodeJson('{"type":"SUBSCRIBED",'), { code: 'E_CODEC', message: /^Event: invalid JSON/ });
  t.throws(() => codecs.executor.Event.decodeBinary(Buffer.from('1a00', 'hex')), { code: 'E_CODEC', message: /^Event\.acknowledged\.task_id: required field is missing/ });
  t.throws(() => codecs.mesos.TaskStatus.decodeJson('{"task_id":{"value":"T"},"state":"TASK_BOGUS"}'), { code: 'E_CODEC', message: /TaskStatus\.state/ });
  t.throws(() => codecs.mesos.TaskInfo.decodeJson('{"name":"n","task_id":{"value":"T"},"agent_id":{"value":"A"},"command":{"uris":[{"value":"u","executable":3}]}}'), {
    message: /executable: expected a boolean/,
  });
  t.throws(() => codecs.executor.Call.encodeBinary({ type: 'HEARTBEAT' } as never), { message: /Call\.executor_id: required field is missing/ });
});

t.test('unknown enum numbers in protobuf leave the field unset', async (t) => {
  t.same(codecs.executor.Event.decodeBinary(Buffer.from('0863', 'hex')), {});
  t.same(codecs.executor.Event.decodeBinary(Buffer.from('0809', 'hex')), { type: 'HEARTBEAT' });
});

t.test('ProcessIO records match the byte examples of the attach spec', async (t) => {
  const rec = { type: 'DATA' as const, data: { type: 'STDOUT' as const, data: Buffer.from('hi\n') } };
  t.equal(codecs.agent.ProcessIO.encodeBinary(rec).toString('hex'), '080112070802120368690a');
  t.equal(codecs.agent.ProcessIO.toJsonText(rec), '{"type":"DATA","data":{"type":"STDOUT","data":"aGkK"}}');
  const eof = { type: 'ATTACH_CONTAINER_INPUT' as const, attach_container_input: { type: 'PROCESS_IO' as const, process_io: { type: 'DATA' as const, data: { type: 'STDIN' as const, data: Buffer.alloc(0) } } } };
  t.equal(codecs.agent.Call.encodeBinary(eof).toString('hex'), '0812520c08021a080801120408011200');
  const hb = { type: 'CONTROL' as const, control: { type: 'HEARTBEAT' as const, heartbeat: { interval: { nanoseconds: 30000000000n } } } };
  t.equal(codecs.agent.ProcessIO.encodeBinary(hb).toString('hex'), '08021a0c08021a080a060880d88ee16f');
  t.equal(codecs.agent.ProcessIO.toJsonText(hb), '{"type":"CONTROL","control":{"type":"HEARTBEAT","heartbeat":{"interval":{"nanoseconds":30000000000}}}}');
});
