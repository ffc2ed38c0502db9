// The agent API's answers on the wire: authentication, ACL, header negotiation, malformed
// bodies and frames, unknown containers, limits. Each case names the input and the answer.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { codecs, type agent } from '../../proto/codec.js';
import { encodeRecord, RecordIODecoder } from '../../proto/recordio.js';
import { connect } from 'node:net';
import { SwitchboardClient, isOutputStream, stdinRecord } from '../../switchboard/client.js';
import { encodeDataRecordProtobuf } from '../../switchboard/process-io-stream.js';
import { switchboardOptionsFromEnv } from '../../switchboard/config.js';
import { parseAcl } from '../../switchboard/acl.js';
import { execHint, startSwitchboard } from '../../switchboard/index.js';
import { createLogger } from '../../common/logger.js';
import { collect, launchCall, sessionId, startFixture, TOKEN } from './harness.js';

const JSON_T = 'application/json';
const PB = 'application/x-protobuf';
const RIO = 'application/recordio';

t.test('spec byte examples: EOF record, first input record, heartbeat, DATA fast path', async (t) => {
  const eof: agent.Call = { type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'PROCESS_IO', process_io: stdinRecord(Buffer.alloc(0)) } };
  t.equal(encodeRecord(codecs.agent.Call.encodeBinary(eof)).toString('hex'), '31360a' + '0812520c0802 1a08080112040801 1200'.replace(/ /g, ''));
  const first: agent.Call = { type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID', container_id: { value: 'c2', parent: { value: 'c1' } } } };
  t.equal(encodeRecord(codecs.agent.Call.encodeBinary(first)).toString('hex'), '31380a0812520e0801120a0a02633212040a026331');
  for (const size of [1, 127, 128, 300, 65536, 1 << 21]) {
    const chunk = Buffer.alloc(size, 7);
    for (const stream of ['STDOUT', 'STDERR'] as const) {
      const fast = Buffer.concat(encodeDataRecordProtobuf(stream, [chunk.subarray(0, size >> 1), chunk.subarray(size >> 1)]));
      const generic = encodeRecord(codecs.agent.ProcessIO.encodeBinary({ type: 'DATA', data: { type: stream, data: chunk } }));
      t.ok(fast.equals(generic), `hand-framed ${stream} record of ${size} bytes equals the codec's`);
    }
  }
});

t.test('authentication and authorization', async (t) => {
  const fx = await startFixture(t, {
    auth: { tokens: [{ principal: 'ops', token: TOKEN }], credentials: [{ principal: 'viewer', secret: 's3cret' }] },
    acl: parseAcl({ principals: { ops: { calls: ['*'], tasks: ['*'] }, viewer: { calls: ['WAIT_CONTAINER', 'GET_TASKS'], tasks: ['web-*'] } } }, 'test'),
  });
  const web = fx.task('web-1', 'sleep 1000');
  fx.task('db-1', 'sleep 1000');
  const wait: agent.Call = { type: 'WAIT_CONTAINER', wait_container: { container_id: { value: 'x', parent: web.containerId } } };

  const anonymous = new SwitchboardClient({ url: fx.url });
  const none = await anonymous.call(wait);
  t.equal(none.status, 401, 'no Authorization header -> 401');
  t.same(none.headers['www-authenticate'], 'Bearer realm="mesos-sidecar", Basic realm="mesos-sidecar"'.split(', ').join(', '), 'both challenges offered');
  t.equal((await new SwitchboardClient({ url: fx.url, token: 'wrong' }).call(wait)).status, 401, 'wrong bearer token -> 401');
  t.equal((await new SwitchboardClient({ url: fx.url, principal: 'viewer', secret: 'nope' }).call(wait)).status, 401, 'wrong secret -> 401');
  t.equal((await anonymous.raw('GET', '/tasks', {})).status, 401, 'GET /tasks needs credentials too');

  const viewer = new SwitchboardClient({ url: fx.url, principal: 'viewer', secret: 's3cret' });
  t.equal((await viewer.call(wait)).status, 404, 'viewer may WAIT on web-* (unknown session -> 404)');
  const launch = await viewer.openOutput(launchCall(sessionId(web), { value: 'true' }));
  t.equal(launch.status, 403, 'viewer may not launch sessions -> 403');
  t.equal(isOutputStream(launch) ? 'stream' : launch.body.length, 0, '403 has an empty body');
  const tasks = await viewer.tasks();
  t.same(tasks.tasks.map((x) => x.task_id), ['web-1'], 'GET /tasks lists only what the ACL allows');
  const all = await fx.client.tasks();
  t.same(all.tasks.map((x) => x.task_id).sort(), ['db-1', 'web-1']);
  t.same(all.executor_container_id, { value: 'executor-cid' });
  t.notOk(JSON.stringify(fx.logs).includes(TOKEN) || JSON.stringify(fx.logs).includes('s3cret'), 'no secret in the logs');
});

t.test('header negotiation, bodies and call validation', async (t) => {
  const fx = await startFixture(t, { limits: { maxRecordSize: 4096, maxSessions: 1 } });
  const task = fx.task('web', 'sleep 1000');
  const c = fx.client;
  const waitJson = codecs.agent.Call.encode({ type: 'WAIT_CONTAINER', wait_container: { container_id: { value: 'nope', parent: task.containerId } } }, JSON_T);
  const post = (headers: Record<string, string>, body: Buffer | string = waitJson) => c.raw('POST', '/api/v1', headers, body);
  const cases: [string, Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }>, number, string?][] = [
    ['GET /api/v1', c.raw('GET', '/api/v1', {}), 405, "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'."],
    ['no Content-Type', post({}), 400, "Expecting 'Content-Type' to be present"],
    ['Content-Type text/plain', post({ 'Content-Type': 'text/plain' }), 415, 'Expecting \'Content-Type\' of application/json or application/x-protobuf or application/recordio'],
    ['recordio without Message-Content-Type', post({ 'Content-Type': RIO }), 400, "Expecting 'Message-Content-Type' to be set for streaming requests"],
    ['recordio with Message-Content-Type text/plain', post({ 'Content-Type': RIO, 'Message-Content-Type': 'text/plain' }), 415],
    ['Message-Content-Type on a JSON body', post({ 'Content-Type': JSON_T, 'Message-Content-Type': JSON_T }), 415, "Expecting 'Message-Content-Type' to be not set for non-streaming requests"],
    ['Accept text/html', post({ 'Content-Type': JSON_T, Accept: 'text/html' }), 406, "Expecting 'Accept' to allow application/json or application/x-protobuf or application/recordio"],
    ['Message-Accept without recordio', post({ 'Content-Type': JSON_T, Accept: JSON_T, 'Message-Accept': JSON_T }), 406],
    ['recordio Accept with Message-Accept text/html', post({ 'Content-Type': JSON_T, Accept: RIO, 'Message-Accept': 'text/html' }), 406],
    ['recordio Accept for WAIT_CONTAINER', post({ 'Content-Type': JSON_T, Accept: RIO }), 406, 'Streaming response is not supported for WAIT_CONTAINER call'],
    ['recordio body for WAIT_CONTAINER', post({ 'Content-Type': RIO, 'Message-Content-Type': JSON_T }, encodeRecord(waitJson)), 415, "Streaming 'Content-Type' application/recordio is not supported for WAIT_CONTAINER call"],
    ['malformed JSON', post({ 'Content-Type': JSON_T }, '{"type":'), 400],
    ['malformed protobuf', post({ 'Content-Type': PB }, Buffer.from([0x08, 0xff])), 400],
    ['missing parent on WAIT_NESTED_CONTAINER', post({ 'Content-Type': JSON_T }, '{"type":"WAIT_NESTED_CONTAINER","wait_nested_container":{"container_id":{"value":"a"}}}'), 400, "Failed to validate agent::Call: Expecting 'wait_nested_container.container_id.parent' to be present"],
    ['container id with a dot', post({ 'Content-Type': JSON_T }, '{"type":"WAIT_CONTAINER","wait_container":{"container_id":{"value":"a.b"}}}'), 400, "Failed to validate agent::Call: 'wait_container.container_id' is invalid: 'ContainerID.value' 'a.b' contains invalid characters"],
    ['type missing payload', post({ 'Content-Type': JSON_T }, '{"type":"KILL_CONTAINER"}'), 400, "Failed to validate agent::Call: Expecting 'kill_container' to be present"],
    ['type UNKNOWN', post({ 'Content-Type': JSON_T }, '{"type":"UNKNOWN"}'), 501, ''],
    ['GET_STATE', post({ 'Content-Type': JSON_T }, '{"type":"GET_STATE"}'), 501, 'GET_STATE is not served by the mesos-sidecar switchboard'],
    ['body over maxRecordSize', post({ 'Content-Type': JSON_T }, Buffer.alloc(5000, 0x20)), 413, 'Request body exceeds the limit of 4096 bytes'],
    ['unknown path', c.raw('POST', '/api/v2', { 'Content-Type': JSON_T }, waitJson), 404],
    ['the agent path /slave(1)/api/v1', c.raw('POST', '/slave(1)/api/v1', { 'Content-Type': JSON_T }, waitJson), 404, 'Container executor-cid.web-cid.nope cannot be found'],
    ['WAIT unknown session', post({ 'Content-Type': JSON_T, Accept: JSON_T }), 404, 'Container executor-cid.web-cid.nope cannot be found'],
    ['WAIT unknown root', post({ 'Content-Type': JSON_T }, '{"type":"WAIT_CONTAINER","wait_container":{"container_id":{"value":"zz"}}}'), 404, 'Container zz cannot be found'],
    ['REMOVE of a running task container', post({ 'Content-Type': JSON_T }, JSON.stringify({ type: 'REMOVE_NESTED_CONTAINER', remove_nested_container: { container_id: task.containerId } })), 500, 'Nested container has not terminated yet'],
    ['REMOVE under an unknown root', post({ 'Content-Type': JSON_T }, '{"type":"REMOVE_CONTAINER","remove_container":{"container_id":{"value":"a","parent":{"value":"zz"}}}}'), 500, 'Unknown root container'],
    ['session without command', post({ 'Content-Type': JSON_T, Accept: RIO }, JSON.stringify(launchCall(sessionId(task), undefined as never))), 400, "Expecting 'launch_nested_container_session.command' to be present"],
    ['session with command.user ""', post({ 'Content-Type': JSON_T, Accept: RIO }, JSON.stringify(launchCall(sessionId(task), { value: 'id', user: '' }))), 400, "Expecting 'launch_nested_container_session.command.user' to be a user name, not empty"],
    ['session with DOCKER ContainerInfo', post({ 'Content-Type': JSON_T, Accept: RIO }, JSON.stringify({ type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: sessionId(task), command: { value: 'true' }, container: { type: 'DOCKER' } } })), 400, 'The provided ContainerInfo is not supported'],
  ];
  for (const [what, answer, status, body] of cases) {
    const res = await answer;
    t.equal(res.status, status, `${what} -> ${status}`);
    if (body !== undefined) t.equal(res.body.toString(), body, `${what}: body`);
  }

  await t.test('a session asked for with Accept: application/json still streams RecordIO', async (t) => {
    const id = sessionId(task);
    const res = await post({ 'Content-Type': JSON_T, Accept: JSON_T }, JSON.stringify(launchCall(id, { value: 'printf hi' })));
    t.equal(res.status, 200);
    t.equal(res.headers['content-type'], JSON_T, 'labelled with the plain accept type');
    t.equal(res.headers['message-content-type'], undefined, 'no Message-Content-Type');
    t.equal(res.body.toString(), '54\n{"type":"DATA","data":{"type":"STDOUT","data":"aGk="}}'.replace('54', String(Buffer.byteLength('{"type":"DATA","data":{"type":"STDOUT","data":"aGk="}}'))), 'one RecordIO-framed JSON ProcessIO');
  });

  await t.test('streaming input: malformed frame, oversized record, EOF, wrong first record', async (t) => {
    const input = (body: Buffer) => post({ 'Content-Type': RIO, 'Message-Content-Type': JSON_T, Accept: JSON_T }, body);
    const empty = await input(Buffer.alloc(0));
    t.equal(empty.status, 400);
    t.equal(empty.body.toString(), 'Received EOF while reading request body');
    const bad = await input(Buffer.from('12x\n{}'));
    t.equal(bad.status, 400, 'non-digit in a length line -> 400');
    t.match(bad.body.toString(), 'invalid byte 0x78 in record length');
    const big = await input(Buffer.from('999999\n'));
    t.equal(big.status, 413, 'record larger than maxRecordSize -> 413');
    const notId = await input(encodeRecord(codecs.agent.Call.encode({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'PROCESS_IO', process_io: stdinRecord('x') } }, JSON_T)));
    t.equal(notId.status, 400);
    t.equal(notId.body.toString(), "Expecting 'attach_container_input.type' to be CONTAINER_ID");
    const jsonInput = await post({ 'Content-Type': JSON_T }, codecs.agent.Call.encode({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID', container_id: task.containerId } }, JSON_T));
    t.equal(jsonInput.status, 415, 'ATTACH_CONTAINER_INPUT as plain JSON -> 415');
  });

  await t.test('bad records inside a session input stream', async (t) => {
    const id = sessionId(task);
    const s = await c.openOutput(launchCall(id, { value: 'cat' }));
    if (!isOutputStream(s)) throw new Error('launch failed');
    const again = await c.openOutput(launchCall(sessionId(task), { value: 'true' }));
    t.equal(again.status, 429, 'second concurrent session over maxSessions=1 -> 429');
    const cases: [string, agent.ProcessIO, string][] = [
      ['STDOUT data from the client', { type: 'DATA', data: { type: 'STDOUT', data: Buffer.from('x') } }, "Expecting 'process_io.data.type' to be 'STDIN'"],
      ['DATA without data', { type: 'DATA', data: { type: 'STDIN' } }, "Expecting 'process_io.data.data' to be present"],
      ['TTY_INFO without a TTY', { type: 'CONTROL', control: { type: 'TTY_INFO', tty_info: { window_size: { rows: 1, columns: 1 } } } }, 'Unable to set the window size: the container was not launched with a TTY'],
      ['CONTROL without control', { type: 'CONTROL' }, "Expecting 'process_io.control' to be present"],
    ];
    for (const [what, io, message] of cases) {
      const input = c.openInput(id);
      await input.send(io);
      input.end();
      const res = await input.response;
      t.equal(res.status, 400, `${what} -> 400`);
      t.equal(res.body.toString(), message);
    }
    const reader = await c.openOutput({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: id } }, { encoding: PB });
    if (!isOutputStream(reader)) throw new Error('attach to the session failed');
    const readerOut = collect(reader.records);
    const good = c.openInput(id, PB);
    await good.send(stdinRecord('last\n'));
    await good.send(stdinRecord(Buffer.alloc(0)));
    good.end();
    t.equal((await good.response).status, 200, 'the input slot was freed after each 400');
    const out = await collect(s.records);
    t.equal(out.stdout.toString(), 'last\n');
    t.equal((await readerOut).stdout.toString(), 'last\n', 'a second output reader of the session sees its output too');
    const late = await c.openOutput({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: id } });
    t.equal(late.status, 500);
    t.equal(isOutputStream(late) ? '' : late.body.toString(), 'I/O switchboard has shutdown');
  });
});

t.test('configuration from the environment', async (t) => {
  const dir = t.testdir({ 'creds.json': JSON.stringify({ credentials: [{ principal: 'p', secret: 's' }] }), 'creds.txt': 'a b\nc d\n', 'acl.json': '{"principals":{"p":{"calls":["ATTACH_CONTAINER_OUTPUT"],"tasks":["*"]}}}', 'bad-acl.json': '{"principals":{"p":{"calls":["NOPE"],"tasks":["*"]}}}' });
  const tokenFile = path.join(dir, 'token');
  const env = {
    MESOS_SIDECAR_SWITCHBOARD_ADDRESS: '[::1]:0',
    MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE: tokenFile,
    MESOS_SIDECAR_SWITCHBOARD_CREDENTIALS: `file://${path.join(dir, 'creds.json')}`,
    MESOS_SIDECAR_SWITCHBOARD_ACL: path.join(dir, 'acl.json'),
    MESOS_SIDECAR_SWITCHBOARD_MAX_SESSIONS: '3',
  };
  const options = switchboardOptionsFromEnv(env);
  t.equal(options.host, '::1');
  t.equal(options.port, 0);
  t.equal(options.auth.tokens?.[0]?.principal, 'default', 'a generated token for principal default');
  t.match(options.auth.tokens?.[0]?.token, /^[0-9a-f]{64}$/);
  t.same(switchboardOptionsFromEnv(env).auth.tokens, options.auth.tokens, 'the generated token is kept in the file');
  t.same(options.auth.credentials, [{ principal: 'p', secret: 's' }]);
  t.same(switchboardOptionsFromEnv({ MESOS_SIDECAR_SWITCHBOARD_CREDENTIALS: path.join(dir, 'creds.txt') }).auth.credentials, [{ principal: 'a', secret: 'b' }, { principal: 'c', secret: 'd' }]);
  t.equal(options.limits.maxSessions, 3);
  t.throws(() => switchboardOptionsFromEnv({ MESOS_SIDECAR_SWITCHBOARD_ADDRESS: 'localhost' }), { code: 'E_SWITCHBOARD_CONFIG', setting: 'MESOS_SIDECAR_SWITCHBOARD_ADDRESS' });
  t.throws(() => switchboardOptionsFromEnv({ MESOS_SIDECAR_SWITCHBOARD_MAX_SESSIONS: '-1' }), { code: 'E_SWITCHBOARD_CONFIG', setting: 'MESOS_SIDECAR_SWITCHBOARD_MAX_SESSIONS' });
  t.throws(() => switchboardOptionsFromEnv({ MESOS_SIDECAR_SWITCHBOARD_ACL: path.join(dir, 'bad-acl.json') }), { code: 'E_SWITCHBOARD_CONFIG', message: /unknown call type 'NOPE'/ });
  writeFileSync(path.join(dir, 'x'), '');
  const logger = createLogger({ name: 't', level: 'silent' });
  const registry = { executorContainerId: () => undefined, taskByContainerId: () => undefined, tasks: () => [], killTask: () => false };
  await t.rejects(startSwitchboard({ registry, logger, auth: {} }), { code: 'E_SWITCHBOARD_CONFIG' }, 'no credentials configured -> refuses to start');
  const early = await startSwitchboard({ registry, logger, auth: { tokens: [{ principal: 'p', token: 't' }] } });
  const notSubscribed = await new SwitchboardClient({ url: early.url, token: 't' }).call({ type: 'WAIT_CONTAINER', wait_container: { container_id: { value: 'a' } } });
  t.equal(notSubscribed.status, 503, 'executor not subscribed yet -> 503');
  t.equal(notSubscribed.body.toString(), 'Agent has not finished recovery');
  await early.close();
  const { acl: _, ...withoutAcl } = options;
  const sb = await startSwitchboard({ registry, logger, ...withoutAcl });
  t.match(sb.url, /^http:\/\/\[::1\]:\d+$/);
  const client = new SwitchboardClient({ url: sb.url, token: options.auth.tokens![0]!.token });
  t.same((await client.tasks()).tasks, []);
  await sb.close();
  const sock = path.join(dir, 'sb.sock');
  const unix = await startSwitchboard({ registry, logger, auth: options.auth, socketPath: sock });
  t.equal(unix.url, `unix:${sock}`);
  t.same((await new SwitchboardClient({ url: unix.url, principal: 'p', secret: 's' }).tasks()).tasks, []);
  await unix.close();
});

t.test('execHint names the token file, quoted for a shell', async (t) => {
  t.equal(execHint('http://127.0.0.1:5051', 'web', '/tmp/sb token'), "mesos-sidecar exec -it --url http://127.0.0.1:5051 --token-file '/tmp/sb token' web -- /bin/sh");
  t.equal(execHint('unix:/run/sb.sock', "it's"), "mesos-sidecar exec -it --url unix:/run/sb.sock 'it'\\''s' -- /bin/sh");
});

// The output stream writes its own HTTP chunk framing (one chunk per record); read the
// raw response bytes to check that framing, and that an HTTP/1.0 client (no chunked
// encoding) gets the bare records until the connection closes.
t.test('output stream framing on the wire: one HTTP chunk per record, and HTTP/1.0', async (t) => {
  const fx = await startFixture(t);
  const task = fx.task('framing', 'sleep 1000');
  const { port } = new URL(fx.url);
  const rawSession = async (version: '1.1' | '1.0'): Promise<{ head: string; body: Buffer }> => {
    const body = Buffer.from(JSON.stringify(launchCall(sessionId(task), { value: 'printf out; printf err >&2; head -c 300000 /dev/zero' })));
    const socket = connect(Number(port), '127.0.0.1');
    t.teardown(() => socket.destroy());
    socket.write(`POST /api/v1 HTTP/${version}\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: ${JSON_T}\r\nAccept: ${RIO}\r\nMessage-Accept: ${PB}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    socket.write(body);
    const chunks: Buffer[] = [];
    for await (const c of socket) chunks.push(c as Buffer);
    const all = Buffer.concat(chunks);
    const split = all.indexOf('\r\n\r\n');
    return { head: all.subarray(0, split).toString('latin1'), body: all.subarray(split + 4) };
  };
  const decodeAll = (records: Buffer[]) => {
    let out = '';
    let zeros = 0;
    for (const r of records) {
      const io = codecs.agent.ProcessIO.decodeBinary(r);
      t.equal(io.type, 'DATA', 'only DATA records');
      const data = io.data!.data!;
      if (io.data!.type === 'STDERR') t.equal(data.toString(), 'err', 'stderr record');
      else out += data.subarray(0, 3).toString() === 'out' ? 'out' : '';
      zeros += io.data!.type === 'STDOUT' ? data.filter((b) => b === 0).length : 0;
    }
    return { out, zeros };
  };

  const chunked = await rawSession('1.1');
  t.match(chunked.head, /^HTTP\/1\.1 200 OK\r\n/);
  t.match(chunked.head, /\r\nTransfer-Encoding: chunked/i, 'HTTP/1.1: chunked body');
  // Parse the chunked body by hand: each chunk must hold exactly one RecordIO record.
  const records: Buffer[] = [];
  let at = 0;
  let last = false;
  while (at < chunked.body.length) {
    const eol = chunked.body.indexOf('\r\n', at);
    const size = parseInt(chunked.body.subarray(at, eol).toString('latin1'), 16);
    at = eol + 2;
    if (size === 0) {
      t.equal(chunked.body.subarray(at).toString('latin1'), '\r\n', 'last chunk, then the end of the body');
      last = true;
      break;
    }
    const chunk = chunked.body.subarray(at, at + size);
    t.equal(chunked.body.subarray(at + size, at + size + 2).toString('latin1'), '\r\n', 'each chunk ends with CRLF');
    at += size + 2;
    const decoded = new RecordIODecoder().decode(chunk);
    t.equal(decoded.length, 1, `chunk of ${size} bytes holds one record`);
    t.equal(encodeRecord(decoded[0]!).length, size, 'and nothing else');
    records.push(decoded[0]!);
  }
  t.ok(last, 'body ends with the last chunk');
  t.same(decodeAll(records), { out: 'out', zeros: 300000 }, 'all output, in records the codec decodes');

  const plain = await rawSession('1.0');
  t.notMatch(plain.head, /Transfer-Encoding/i, 'HTTP/1.0: no chunked encoding');
  const bare = new RecordIODecoder().decode(plain.body);
  t.same(decodeAll(bare), { out: 'out', zeros: 300000 }, 'HTTP/1.0: bare records until the connection closes');
});
