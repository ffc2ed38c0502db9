// The emulator answers like the agent's /api/v1/executor (executor-api.md §2–§6),
// checked with undici directly, one bad input per case.
import t, { type Test } from 'tap';
import { request } from 'undici';
import { randomBytes } from 'node:crypto';
import { AgentEmulator } from '../../agent/emulator.js';
import { codecs, type executor, type mesos } from '../../proto/codec.js';
import { readRecords } from '../../proto/recordio.js';
import { newUuid } from '../../executor/status-updates.js';
import { quietLogger } from '../helpers/tasks.js';

const JSON_T = 'application/json';
const PB = 'application/x-protobuf';

async function emulator(t: Test, options = {}): Promise<AgentEmulator> {
  const a = await AgentEmulator.start({ logger: quietLogger(), ...options });
  t.teardown(() => a.close());
  return a;
}

function ids(a: AgentEmulator): Pick<executor.Call, 'framework_id' | 'executor_id'> {
  return { framework_id: { value: a.frameworkId }, executor_id: { value: a.executorId } };
}

async function post(a: AgentEmulator, body: string | Buffer, headers: Record<string, string>, path = '/api/v1/executor') {
  const res = await request(`http://${a.endpoint}${path}`, { method: 'POST', headers, body });
  const text = res.statusCode === 200 && headers['x-keep'] ? '' : await res.body.text();
  return { status: res.statusCode, text, res };
}

function status(a: AgentEmulator, extra: Partial<mesos.TaskStatus> = {}): mesos.TaskStatus {
  return { task_id: { value: 't' }, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', uuid: newUuid(), executor_id: { value: a.executorId }, ...extra };
}

/** Opens a subscription and returns its decoded event iterator. */
async function subscribe(a: AgentEmulator, contentType = JSON_T, accept?: string) {
  const body = codecs.executor.Call.encode({ ...ids(a), type: 'SUBSCRIBE', subscribe: {} }, contentType as typeof JSON_T);
  const res = await request(`http://${a.endpoint}/api/v1/executor`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(accept !== undefined ? { accept } : {}) },
    body,
  });
  const responseType = String(res.headers['content-type']) as typeof JSON_T;
  const events = (async function* () {
    for await (const r of readRecords(res.body)) yield codecs.executor.Event.decode(r, responseType);
  })();
  return { res, responseType, events };
}

t.test('method, content type and body errors use the agent status codes and wording', async (t) => {
  const a = await emulator(t);
  const get = await request(`http://${a.endpoint}/api/v1/executor`, { method: 'GET' });
  t.equal(get.statusCode, 405, 'GET → 405');
  t.equal(get.headers.allow, 'POST');
  await get.body.text();

  const sub = JSON.stringify({ type: 'SUBSCRIBE', framework_id: { value: a.frameworkId }, executor_id: { value: a.executorId }, subscribe: {} });
  let r = await post(a, sub, {});
  t.equal(r.status, 400, 'no Content-Type → 400');
  t.equal(r.text, "Expecting 'Content-Type' to be present");

  r = await post(a, sub, { 'content-type': 'application/json; charset=utf-8' });
  t.equal(r.status, 415, 'parameters make the media type unsupported → 415');
  t.equal(r.text, "Expecting 'Content-Type' of application/json or application/x-protobuf");

  r = await post(a, '{"type":', { 'content-type': JSON_T });
  t.equal(r.status, 400, 'broken JSON → 400');
  t.match(r.text, /^Failed to parse body into JSON: /);

  r = await post(a, '{"type":"SUBSCRIBE","subscribe":{}}', { 'content-type': JSON_T });
  t.equal(r.status, 400, 'missing required ids → 400');
  t.match(r.text, /^Failed to convert JSON into Call protobuf: .*executor_id/);

  r = await post(a, Buffer.from([0x0a, 0xff, 0x01]), { 'content-type': PB });
  t.equal(r.status, 400, 'broken protobuf → 400');
  t.equal(r.text, 'Failed to parse body into Call protobuf');

  r = await post(a, sub, { 'content-type': JSON_T, accept: 'text/plain' });
  t.equal(r.status, 406, 'Accept allowing neither → 406');

  r = await post(a, sub.replace(a.frameworkId, 'other'), { 'content-type': JSON_T });
  t.equal(r.status, 400);
  t.equal(r.text, 'Framework cannot be found');

  const nf = await request(`http://${a.endpoint}/api/v1/nothing`, { method: 'POST' });
  t.equal(nf.statusCode, 404, 'unknown path → 404');
  await nf.body.text();
});

t.test('calls before SUBSCRIBE are 403, HEARTBEAT is always 202', async (t) => {
  const a = await emulator(t);
  const update = codecs.executor.Call.encode({ ...ids(a), type: 'UPDATE', update: { status: status(a) } }, PB);
  const r = await post(a, update, { 'content-type': PB });
  t.equal(r.status, 403);
  t.equal(r.text, 'Executor is not subscribed');
  const hb = await post(a, codecs.executor.Call.encode({ framework_id: { value: 'unused' }, executor_id: { value: 'unused' }, type: 'HEARTBEAT' }, PB), { 'content-type': PB });
  t.equal(hb.status, 202, 'HEARTBEAT with dummy ids → 202');
});

t.test('SUBSCRIBE negotiates the message type; SUBSCRIBED comes first, then queued LAUNCH', async (t) => {
  for (const [accept, expected] of [[undefined, JSON_T], ['*/*', JSON_T], [PB, PB], [`${JSON_T};q=0, ${PB}`, PB], ['application/*', JSON_T]] as const) {
    const a = await emulator(t, { capabilities: ['TASK_KILLING_STATE'] });
    a.launch({ name: 'x', task_id: { value: 'x' }, agent_id: { value: a.agentId }, command: { value: 'true' } });
    const { res, responseType, events } = await subscribe(a, PB, accept);
    t.equal(res.statusCode, 200);
    t.equal(responseType, expected, `Accept ${accept ?? '(none)'} → ${expected}`);
    const first = (await events.next()).value as executor.Event;
    t.equal(first.type, 'SUBSCRIBED');
    t.same(first.subscribed?.framework_info.capabilities, [{ type: 'TASK_KILLING_STATE' }]);
    t.same(first.subscribed?.container_id, a.containerId);
    t.equal(first.subscribed?.agent_info.id?.value, a.agentId);
    t.equal(first.subscribed?.executor_info.executor_id.value, a.executorId);
    const second = (await events.next()).value as executor.Event;
    t.equal(second.type, 'LAUNCH');
    t.equal(second.launch?.task.task_id.value, 'x');
    res.body.destroy();
  }
});

t.test('UPDATE validation answers 400 with the agent wording; UNKNOWN is 501; the /slave(1) path works', async (t) => {
  const a = await emulator(t);
  const { res } = await subscribe(a);
  const send = (s: mesos.TaskStatus, path?: string) =>
    post(a, codecs.executor.Call.encode({ ...ids(a), type: 'UPDATE', update: { status: s } }, JSON_T), { 'content-type': JSON_T }, path);
  const textUuid = Buffer.from('0f8b3c52-4d3e-4a6b-9c1d-2e3f4a5b6c7d\n');
  const v0 = randomBytes(16);
  v0[6] = 0x0f;
  const cases: Array<[string, mesos.TaskStatus, RegExp]> = [
    ['textual uuid', status(a, { uuid: textUuid }), /Not a valid UUID/],
    ['version-0 uuid', status(a, { uuid: v0 }), /Not a valid UUID/],
    ['source unset', (() => { const s = status(a); delete s.source; return s; })(), /invalid source, expecting 'SOURCE_EXECUTOR'/],
    ['TASK_STAGING', status(a, { state: 'TASK_STAGING' }), /Received TASK_STAGING from executor/],
    ['other executor id', status(a, { executor_id: { value: 'someone-else' } }), /does not match ExecutorID in TaskStatus: someone-else/],
    ['check_status without type', status(a, { check_status: { http: {} } }), /CheckStatusInfo must specify 'type'/],
    ['check_status without its sub-message', status(a, { check_status: { type: 'HTTP' } }), /Expecting 'http' to be set for HTTP check's status/],
  ];
  for (const [what, s, message] of cases) {
    const r = await send(s);
    t.equal(r.status, 400, `${what} → 400`);
    t.match(r.text, /^Failed to validate Executor::Call: /);
    t.match(r.text, message);
  }
  t.equal(a.updates.length, 0, 'no invalid update was recorded');
  const ok = await send(status(a, { check_status: { type: 'TCP', tcp: {} } }), '/slave(1)/api/v1/executor');
  t.equal(ok.status, 202, 'valid update through the UPID path → 202');
  t.equal(a.updates.length, 1);
  const unknown = await post(a, codecs.executor.Call.encode({ ...ids(a), type: 'UNKNOWN' }, JSON_T), { 'content-type': JSON_T });
  t.equal(unknown.status, 501);
  res.body.destroy();
});

t.test('duplicates by UUID are flagged and acknowledged again; failNextUpdates injects refusals', async (t) => {
  const a = await emulator(t);
  const { res, events } = await subscribe(a, PB, PB);
  t.equal((await events.next()).value?.type, 'SUBSCRIBED');
  const s = status(a);
  const body = codecs.executor.Call.encode({ ...ids(a), type: 'UPDATE', update: { status: s } }, PB);
  t.equal((await post(a, body, { 'content-type': PB })).status, 202);
  t.equal((await post(a, body, { 'content-type': PB })).status, 202);
  for (let i = 0; i < 2; i++) {
    const ack = (await events.next()).value as executor.Event;
    t.equal(ack.type, 'ACKNOWLEDGED');
    t.same(ack.acknowledged?.uuid, s.uuid, 'ACKNOWLEDGED carries the update uuid');
  }
  t.same(a.updates.map((u) => u.duplicate), [false, true]);
  a.failNextUpdates(1, 500);
  const again = codecs.executor.Call.encode({ ...ids(a), type: 'UPDATE', update: { status: status(a) } }, PB);
  t.equal((await post(a, again, { 'content-type': PB })).status, 500, 'injected failure');
  t.equal(a.updates.length, 2, 'the refused update was not recorded');
  res.body.destroy();
});

t.test('with executorAuthToken, requests need the bearer token (401 otherwise)', async (t) => {
  const a = await emulator(t, { executorAuthToken: 's3cret' });
  const body = JSON.stringify({ type: 'SUBSCRIBE', framework_id: { value: a.frameworkId }, executor_id: { value: a.executorId }, subscribe: {} });
  const r = await post(a, body, { 'content-type': JSON_T });
  t.equal(r.status, 401, 'no token → 401');
  t.match(String(r.res.headers['www-authenticate']), /^Bearer/);
  t.equal((await post(a, body, { 'content-type': JSON_T, authorization: 'Bearer wrong' })).status, 401, 'wrong token → 401');
  const res = await request(`http://${a.endpoint}/api/v1/executor`, { method: 'POST', headers: { 'content-type': JSON_T, authorization: 'Bearer s3cret' }, body });
  t.equal(res.statusCode, 200, 'right token → 200');
  res.body.destroy();
  t.equal(a.executorEnvironment().MESOS_EXECUTOR_AUTHENTICATION_TOKEN, 's3cret', 'the token goes into the executor environment');
});

t.test('executorEnvironment is what a real agent sets', async (t) => {
  const a = await emulator(t, { checkpoint: false });
  const env = a.executorEnvironment({ EXTRA: '1' });
  t.equal(env.MESOS_AGENT_ENDPOINT, a.endpoint);
  t.equal(env.MESOS_SLAVE_PID, `slave(1)@${a.endpoint}`);
  t.equal(env.MESOS_CHECKPOINT, '0');
  t.notOk('MESOS_RECOVERY_TIMEOUT' in env, 'recovery settings only with checkpointing');
  t.equal(env.MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD, '5secs');
  t.equal(env.EXTRA, '1');
  const b = await emulator(t);
  t.equal(b.executorEnvironment().MESOS_RECOVERY_TIMEOUT, '15mins');
  t.equal(b.executorEnvironment().MESOS_SUBSCRIPTION_BACKOFF_MAX, '2secs');
});
