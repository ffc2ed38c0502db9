// Bounds on what a peer controls, through the real wire: output readers (count, queue
// budget), connections and their deadlines, request bodies, KILL signals, ACL principal
// names, and the settings' own maxima. Each case names the input and the answer.
import t from 'tap';
import http from 'node:http';
import { connect, type Socket } from 'node:net';
import { ManualClock } from '../../common/clock.js';
import { codecs, type agent } from '../../proto/codec.js';
import { parseAcl } from '../../switchboard/acl.js';
import { isOutputStream, SwitchboardClient, type OutputStreamHandle } from '../../switchboard/client.js';
import { SWITCHBOARD_ENV as ENV } from '../../contracts/switchboard.js';
import { switchboardOptionsFromEnv } from '../../switchboard/config.js';
import { connectionCap, LIMIT_MAXIMA, openFilesLimit } from '../../switchboard/limits.js';
import { tcpTimers } from '../helpers/tcp-timers.js';
import { collect, ENCODINGS, startFixture, TOKEN, until, type Fixture, type TestTask } from './harness.js';

const JSON_T = 'application/json';
const RIO = 'application/recordio';

const attachCall = (task: TestTask): agent.Call => ({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: task.containerId } });

/** An output reader whose response is never read (the socket fills, then the server's queue). */
async function deafReader(fx: Fixture, task: TestTask): Promise<{ status: number; body: string; res: http.IncomingMessage; closed: Promise<void> }> {
  const { port } = new URL(fx.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: Number(port), path: '/api/v1', method: 'POST', agent: false, headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': JSON_T, Accept: RIO, 'Message-Accept': JSON_T } });
    req.on('response', (res) => {
      const closed = new Promise<void>((done) => res.socket.once('close', () => done()));
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body, res, closed }));
        return;
      }
      res.pause();
      resolve({ status: 200, body: '', res, closed });
    });
    req.on('error', reject);
    req.end(codecs.agent.Call.encode(attachCall(task), JSON_T));
  });
}

t.test('output readers are counted per container and in total: 429 beyond, slots freed on close', async (t) => {
  const fx = await startFixture(t, { limits: { maxOutputReadersPerContainer: 2, maxOutputReaders: 3 } });
  const a = fx.task('a', 'sleep 1000', { tty: true });
  const b = fx.task('b', 'sleep 1000', { tty: true });
  const a1 = await deafReader(fx, a);
  const a2 = await deafReader(fx, a);
  t.same([a1.status, a2.status], [200, 200]);
  const a3 = await deafReader(fx, a);
  t.equal(a3.status, 429, 'third reader of container a -> 429');
  t.equal(a3.body, 'Too many output readers for container executor-cid.a-cid: the limit of 2 is reached');
  t.equal((await deafReader(fx, b)).status, 200, 'container b still has room');
  const b2 = await deafReader(fx, b);
  t.equal(b2.status, 429, 'fourth reader overall -> 429');
  t.equal(b2.body, 'Too many output readers: the limit of 3 concurrent ATTACH_CONTAINER_OUTPUT streams is reached');
  a1.res.destroy();
  await until(() => fx.logs.some((l) => l.msg === 'attach-output ended'), 'the closed reader to be released');
  t.equal((await deafReader(fx, a)).status, 200, 'a closed reader frees its slot');
});

t.test('queued bytes across all readers are bounded: the fullest reader is cut off first, the fast one keeps everything', async (t) => {
  // Each deaf reader may queue 4 MiB alone, but all of them together only 512 KiB.
  const fx = await startFixture(t, { limits: { maxQueuedBytes: 4 * 2 ** 20, maxTotalQueuedBytes: 512 * 1024 } });
  const task = fx.task('flood', 'read go; head -c 12000000 /dev/zero | base64; echo done-flooding', { tty: true });
  const deaf = await Promise.all([1, 2, 3, 4].map(() => deafReader(fx, task)));
  const fast = (await fx.client.openOutput(attachCall(task), { encoding: 'application/x-protobuf' })) as OutputStreamHandle;
  t.ok(isOutputStream(fast));
  const fastOut = collect(fast.records);
  await task.tty!.write('go\n');
  await task.exited;
  const got = await fastOut;
  t.ok(got.stdout.equals(Buffer.concat(task.output)), `the reading reader got all ${got.stdout.length} bytes`);
  const cuts = fx.logs.filter((l) => l.msg === 'output reader fell too far behind; disconnecting it');
  // The kernel buffers a few MiB per socket before anything queues here, so not every
  // deaf reader need reach the total; those that did were cut by it, not by their own.
  t.ok(cuts.length >= 1, `${cuts.length} deaf reader(s) cut off`);
  t.ok(cuts.every((l) => /all output readers together have more than 524288 bytes queued/.test(String(l.reason))), 'by the total bound, not their own');
  const peak = Math.max(...fx.logs.filter((l) => l.msg === 'output reader fell too far behind; disconnecting it').map((l) => Number(l.queuedBytes)));
  t.ok(peak <= 512 * 1024 + 64 * 1024, `no reader held more than the total plus one record when cut (${peak} bytes)`);
  for (const d of deaf) d.res.destroy();
  await Promise.all(deaf.map((d) => d.closed));
});

t.test('connections: capped below RLIMIT_NOFILE minus the reserve; idle ones closed after headersTimeout', async (t) => {
  // An fd limit of 540 with a reserve of 512 leaves 28 connections.
  const fx = await startFixture(t, { openFiles: 540, limits: { fdReserve: 512, headersTimeoutMs: 600 } });
  fx.task('web', 'sleep 1000');
  const { port } = new URL(fx.url);
  const sockets: Socket[] = [];
  const closedAt: number[] = [];
  const t0 = Date.now();
  for (let i = 0; i < 40; i++) {
    const s = connect(Number(port), '127.0.0.1');
    s.on('error', () => {});
    s.once('close', () => closedAt.push(Date.now() - t0));
    sockets.push(s);
  }
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  await until(() => closedAt.length >= 12, 'the 12 connections over the cap to be closed');
  t.ok(closedAt.slice(0, 12).every((ms) => ms < 500), `over the cap: closed at once (${closedAt.slice(0, 12).join(', ')} ms)`);
  await until(() => closedAt.length === 40, 'idle connections to be closed by headersTimeout', 5000);
  const late = closedAt.slice(12);
  t.ok(late.every((ms) => ms >= 550), `silent connections closed after the 600 ms headersTimeout (first at ${Math.min(...late)} ms, last at ${Math.max(...late)} ms)`);
  t.same((await fx.client.tasks()).tasks.length, 1, 'the server serves again');
  t.ok(fx.logs.some((l) => l.msg === 'connection limit reached; new connections are closed until some end'), 'the limit is logged');
});

t.test('connectionCap and openFilesLimit: table', async (t) => {
  const cases: [string, Parameters<typeof connectionCap>, ReturnType<typeof connectionCap>][] = [
    ['derived', [{ maxConnections: undefined, fdReserve: 512 }, 20_000], { ok: true, maxConnections: 19_488, clamped: false, openFiles: 20_000 }],
    ['configured below the room', [{ maxConnections: 100, fdReserve: 512 }, 20_000], { ok: true, maxConnections: 100, clamped: false, openFiles: 20_000 }],
    ['configured into the reserve: lowered', [{ maxConnections: 19_900, fdReserve: 512 }, 20_000], { ok: true, maxConnections: 19_488, clamped: true, openFiles: 20_000 }],
    ['limit unknown (no /proc)', [{ maxConnections: undefined, fdReserve: 512 }, undefined], { ok: true, maxConnections: 1024, clamped: false, openFiles: undefined }],
  ];
  for (const [what, args, expected] of cases) t.same(connectionCap(...args), expected, what);
  const none = connectionCap({ maxConnections: undefined, fdReserve: 1024 }, 1024);
  t.notOk(none.ok, 'a reserve that eats the whole limit is refused');
  t.match(!none.ok && none.message, 'RLIMIT_NOFILE 1024');
  t.equal(openFilesLimit('Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n'), 1024);
  t.equal(openFilesLimit('Max open files            unlimited            unlimited            files\n'), Number.MAX_SAFE_INTEGER);
  t.type(openFilesLimit(), 'number', 'this process: read from /proc/self/limits');
  await t.rejects(startFixture(t, { openFiles: 500, limits: { fdReserve: 512 } }), { code: 'E_SWITCHBOARD_CONFIG', setting: 'fdReserve' }, 'startSwitchboard refuses a reserve over the limit');
});

t.test('a stalled request body gets a 408 after bodyTimeoutMs; a streaming input after its first record does not', async (t) => {
  const clock = new ManualClock();
  const fx = await startFixture(t, { clock, limits: { bodyTimeoutMs: 10_000 } });
  const task = fx.task('web', 'sleep 1000', { tty: true });
  const { port } = new URL(fx.url);
  const stalled = (head: string, bodyStart: Buffer | string) =>
    new Promise<string>((resolve) => {
      const s = connect(Number(port), '127.0.0.1');
      let answer = '';
      s.on('data', (c: Buffer) => (answer += c.toString()));
      s.on('close', () => resolve(answer));
      s.write(`POST /api/v1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n${head}\r\n`);
      s.write(bodyStart);
    });
  const armed = clock.pending;
  const plain = stalled(`Content-Type: ${JSON_T}\r\nContent-Length: 50\r\n`, '{');
  await until(() => clock.pending === armed + 1, 'the body deadline to be armed');
  clock.advance(9_999);
  clock.advance(1);
  const answer = await plain;
  t.match(answer, /^HTTP\/1.1 408 Request Timeout\r\n/, 'Content-Length 50 with 1 byte sent -> 408 at 10 s');
  t.match(answer, /Connection: close/i, 'and the connection is closed');
  t.match(answer, /The request body was not received within 10000 ms$/);

  const firstRecord = codecs.agent.Call.encode({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID', container_id: task.containerId } }, JSON_T);
  const partial = stalled(`Content-Type: ${RIO}\r\nMessage-Content-Type: ${JSON_T}\r\nTransfer-Encoding: chunked\r\n`, `5\r\n${String(firstRecord.length + 10)}\n{\r\n`);
  await until(() => clock.pending === armed + 1, 'the first-record deadline to be armed');
  clock.advance(10_000);
  t.match(await partial, /408 Request Timeout[\s\S]*The first record of the request body was not received within 10000 ms$/, 'recordio input whose first record never completes -> 408');

  const input = fx.client.openInput(task.containerId, JSON_T);
  let answered = false;
  void input.response.then(() => (answered = true));
  await until(() => fx.logs.some((l) => l.msg === 'attach-input started'), 'the input stream to attach');
  clock.advance(60_000);
  await new Promise((r) => setImmediate(r));
  t.notOk(answered, 'an attached input stream has no body deadline');
  input.end();
  t.equal((await input.response).status, 200);
});

t.test('an input stream from a client that vanished without a FIN is not held for ever: TCP keepalive is armed', async (t) => {
  // The server never writes to an input stream, so only keepalive probes find a dead
  // peer (and free the container's one input slot): armed on the server's side of it.
  const fx = await startFixture(t);
  const task = fx.task('web', 'sleep 1000', { tty: true });
  const input = fx.client.openInput(task.containerId, JSON_T);
  await until(() => fx.logs.some((l) => l.msg === 'attach-input started'), 'the input stream to attach');
  const timers = tcpTimers(Number(new URL(fx.url).port));
  t.ok(timers.length >= 1, `the server's side of the input stream is listed (${timers.length} connections)`);
  t.ok(timers.every((tr) => tr === '02'), `every connection to the switchboard has its keepalive timer armed (timers ${timers.join(', ')})`);
  input.end();
  t.equal((await input.response).status, 200);
});

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: KILL with a signal outside 1..64 is a 400 naming the field`, async (t) => {
    const fx = await startFixture(t);
    const task = fx.task('web', 'sleep 1000');
    for (const [type, field] of [['KILL_CONTAINER', 'kill_container'], ['KILL_NESTED_CONTAINER', 'kill_nested_container']] as const) {
      for (const signal of [-9, 0, 65]) {
        const call = { type, [field]: { container_id: task.containerId, signal } } as agent.Call;
        const res = await fx.client.call(call, encoding);
        t.equal(res.status, 400, `${type} signal ${signal} -> 400`);
        t.equal(res.body.toString(), `Failed to validate agent::Call: '${field}.signal' must be a signal number from 1 to 64, got ${signal}`);
      }
    }
    t.equal(task.terminated, false, 'the task was not touched');
    t.equal((await fx.client.call({ type: 'KILL_CONTAINER', kill_container: { container_id: task.containerId, signal: 15 } }, encoding)).status, 200, 'signal 15 -> 200');
  });
}

t.test("principals named like Object.prototype's members; GET /tasks for a principal without GET_TASKS", async (t) => {
  const names = ['constructor', '__proto__', 'toString', 'outsider'];
  const acl = parseAcl(JSON.parse('{"principals":{"__proto__":{"calls":["GET_TASKS"],"tasks":["*"]},"ops":{"calls":["*"],"tasks":["*"]},"waiter":{"calls":["WAIT_CONTAINER"],"tasks":["*"]}}}'), 'test');
  t.equal(Object.getPrototypeOf(acl.principals), null);
  const fx = await startFixture(t, { acl, auth: { tokens: [...names, 'ops', 'waiter'].map((principal) => ({ principal, token: `tok-${principal}` })) } });
  const task = fx.task('web', 'sleep 1000');
  const as = (p: string) => new SwitchboardClient({ url: fx.url, token: `tok-${p}` });
  const wait: agent.Call = { type: 'WAIT_CONTAINER', wait_container: { container_id: task.containerId } };
  for (const p of ['constructor', 'toString', 'outsider']) {
    t.equal((await as(p).call(wait)).status, 403, `${p} (not in the ACL): WAIT -> 403, not 500`);
    t.equal((await as(p).raw('GET', '/tasks', {})).status, 403, `${p}: GET /tasks -> 403`);
  }
  t.equal((await as('__proto__').raw('GET', '/tasks', {})).status, 200, '__proto__ is a principal like any other: its GET_TASKS grant holds');
  t.equal((await as('__proto__').call(wait)).status, 403, '__proto__: WAIT not granted -> 403');
  t.equal((await as('waiter').raw('GET', '/tasks', {})).status, 403, 'in the ACL but without GET_TASKS -> 403');
  t.equal((await as('ops').raw('GET', '/tasks', {})).status, 200);
  t.notOk(fx.logs.some((l) => l.level >= 50), 'no error lines');
});

t.test('a request body aborted by the client is an info line, not an error', async (t) => {
  const clock = new ManualClock();
  const fx = await startFixture(t, { clock });
  const { port } = new URL(fx.url);
  const armed = clock.pending;
  const s = connect(Number(port), '127.0.0.1');
  s.write(`POST /api/v1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: ${JSON_T}\r\nContent-Length: 100\r\n\r\n{"type":`);
  await until(() => clock.pending === armed + 1, 'the server to be reading the body');
  s.destroy();
  const isAbort = (l: { msg: string }) => l.msg === 'request body aborted by the client';
  await until(() => fx.logs.some(isAbort), 'the abort to be logged');
  t.equal(fx.logs.find(isAbort)!.level, 30, 'Content-Length 100, 8 bytes, then a reset -> level info');
  t.notOk(fx.logs.some((l) => l.level >= 50), 'no error line');
});

t.test('every numeric setting has a maximum: beyond it a config error naming the variable', async (t) => {
  for (const [key, max] of Object.entries(LIMIT_MAXIMA) as [keyof typeof LIMIT_MAXIMA, number][]) {
    const variable = ENV[key];
    t.equal(switchboardOptionsFromEnv({ [variable]: String(max) }).limits[key], max, `${variable}=${max} accepted`);
    t.throws(() => switchboardOptionsFromEnv({ [variable]: String(max + 1) }), { code: 'E_SWITCHBOARD_CONFIG', setting: variable, message: new RegExp(`expected an integer from 1 to ${max}, got '${max + 1}'`) }, `${variable}=${max + 1} refused`);
  }
  t.throws(() => switchboardOptionsFromEnv({ [ENV.maxRecordSize]: "1e9" }), { code: "E_SWITCHBOARD_CONFIG", setting: ENV.maxRecordSize }, 'not an integer');
  t.throws(() => switchboardOptionsFromEnv({ [ENV.heartbeat]: "3600001" }), { code: "E_SWITCHBOARD_CONFIG", setting: ENV.heartbeat }, 'heartbeat interval above 1 h');
  await t.rejects(startFixture(t, { limits: { maxRecordSize: 2 ** 40 } }), { code: 'E_SWITCHBOARD_CONFIG', setting: 'limits.maxRecordSize' }, 'limits given in code are checked too');
});
