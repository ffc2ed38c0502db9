// The gateway's refusals, through the real wire: each is a plain HTTP answer before the
// handshake (no socket, no session, no process), in the order docs/switchboard.md lists;
// and the closes of a live socket for bad frames and a dead peer.
import t, { type Test } from 'tap';
import { userInfo } from 'node:os';
import WebSocket from 'ws';
import { WS_ATTACH_PREFIX, WS_BEARER_PREFIX, WS_EXEC_PREFIX, WS_SUBPROTOCOL } from '../../contracts/ws-gateway.js';
import { parseAcl } from '../../switchboard/acl.js';
import { MAX_CONTROL_BYTES } from '../../switchboard/ws/control.js';
import { credentialProtocols, isRefused, openGateway, openOk, type OpenOptions } from '../helpers/ws-gateway.js';
import { processGone, startFixture, TOKEN, until, type Fixture } from './harness.js';

const acl = parseAcl(
  {
    principals: {
      ops: { calls: ['*'], tasks: ['*'] },
      // May look but not touch: no LAUNCH_NESTED_CONTAINER_SESSION, output only for attach.
      viewer: { calls: ['GET_TASKS', 'ATTACH_CONTAINER_OUTPUT'], tasks: ['*'] },
    },
  },
  'test acl',
);

const sessionsStarted = (fx: Fixture) => fx.logs.filter((l) => l.msg === 'exec session started').length;

async function refusal(t: Test, fx: Fixture, path: string, options: OpenOptions, status: number, body: RegExp | string, what: string): Promise<void> {
  const [before, sockets] = [sessionsStarted(fx), fx.gateway.sockets];
  const s = await openGateway(fx.url, path, options);
  if (!isRefused(s)) {
    s.ws.terminate();
    t.fail(`${what}: expected ${status}, the upgrade succeeded`);
    return;
  }
  t.equal(s.status, status, `${what}: ${status}`);
  t.match(s.body, body, `${what}: the body says why`);
  t.match(s.headers['content-type'], /^text\/plain/);
  t.equal(s.headers.connection, 'close');
  t.equal(sessionsStarted(fx), before, `${what}: no session started`);
  // Sockets of earlier steps may still be closing: none may have been added.
  t.ok(fx.gateway.sockets <= sockets, `${what}: no gateway socket`);
}

t.test('refused upgrades', async (t) => {
  const fx = await startFixture(t, {
    acl,
    auth: { tokens: [{ principal: 'ops', token: TOKEN }, { principal: 'viewer', token: 'viewer-token-1' }], credentials: [{ principal: 'ops', secret: 's3cret' }] },
    allowedOrigins: ['https://dash.example.com'],
    limits: { maxSessions: 1 },
  });
  fx.task('web', 'sleep 1000');
  fx.task('term', 'sleep 1000', { tty: true });
  const exec = `${WS_EXEC_PREFIX}web?tty=1`;
  const own = fx.url;

  await t.test('401 without credentials, with a wrong token, with a malformed one', async (t) => {
    await refusal(t, fx, exec, {}, 401, 'Authentication required', 'no credential');
    const none = await openGateway(fx.url, exec, {});
    t.same(isRefused(none) && none.headers['www-authenticate'], 'Bearer realm="mesos-sidecar", Basic realm="mesos-sidecar"', 'the same challenges as the HTTP calls');
    await refusal(t, fx, exec, { token: 'wrong-token' }, 401, /.*/, 'wrong token');
    await refusal(t, fx, exec, { basic: { principal: 'ops', secret: 'nope' } }, 401, /.*/, 'wrong basic secret');
    await refusal(t, fx, exec, { protocols: [WS_SUBPROTOCOL, `${WS_BEARER_PREFIX}not+base64url`] }, 401, /.*/, 'a credential that is not base64url');
    await refusal(t, fx, exec, { protocols: [...credentialProtocols({ token: TOKEN }), `${WS_BEARER_PREFIX}eA`] }, 400, 'more than one credential', 'two credentials');
  });

  await t.test('403 from a foreign Origin, even with a valid token; the own and listed origins pass', async (t) => {
    await refusal(t, fx, exec, { token: TOKEN, origin: 'https://evil.example' }, 403, "Origin 'https://evil.example' is not this switchboard", 'foreign origin');
    await refusal(t, fx, exec, { token: TOKEN, origin: 'null' }, 403, "Origin 'null'", 'opaque origin (sandboxed frame, file:)');
    const port = new URL(own).port;
    await refusal(t, fx, exec, { token: TOKEN, origin: `http://127.0.0.1:${Number(port) + 1}` }, 403, 'is not this switchboard', 'same host, another port');
    for (const origin of [own, 'https://dash.example.com', undefined]) {
      const s = await openOk(fx.url, `${WS_EXEC_PREFIX}web?command=true`, { token: TOKEN, ...(origin ? { origin } : {}) });
      t.equal((await s.message('exit')).exit_code, 0, `origin ${origin ?? '(none, a non-browser client)'}: 101, the session ran`);
      await s.closed;
    }
  });

  await t.test('403 for a principal the ACL does not allow, and for a user= without a grant', async (t) => {
    await refusal(t, fx, exec, { token: 'viewer-token-1' }, 403, 'Forbidden', 'viewer may not exec');
    await refusal(t, fx, `${WS_ATTACH_PREFIX}term`, { token: 'viewer-token-1' }, 403, 'Forbidden', 'viewer may not attach input');
    const other = userInfo().username === 'nobody' ? 'root' : 'nobody';
    await refusal(t, fx, `${exec}&user=${other}`, { token: TOKEN }, 403, `may not run sessions as user '${other}'`, 'user= without a users grant');
  });

  await t.test('basic credentials as a subprotocol; the credential is never echoed', async (t) => {
    const s = await openOk(fx.url, `${WS_EXEC_PREFIX}web?command=true`, { basic: { principal: 'ops', secret: 's3cret' } });
    t.equal(s.ws.protocol, WS_SUBPROTOCOL);
    await s.closed;
  });

  await t.test('404, 400 and 429 before the handshake', async (t) => {
    await refusal(t, fx, '/ws/nothing/web', { token: TOKEN }, 404, /.*/, 'another path');
    await refusal(t, fx, `${WS_EXEC_PREFIX}nope`, { token: TOKEN }, 404, "Task 'nope' is not known", 'unknown task');
    await refusal(t, fx, `${WS_EXEC_PREFIX}web?colour=red`, { token: TOKEN }, 400, "Unknown query parameter 'colour'", 'unknown query parameter');
    await refusal(t, fx, `${WS_EXEC_PREFIX}web?tty=1&columns=0&rows=5`, { token: TOKEN }, 400, "'columns': expected an integer from 1 to 65535", 'columns=0');
    await refusal(t, fx, `${WS_EXEC_PREFIX}web?command=ls&arg=ls`, { token: TOKEN }, 400, 'not both', 'command and arg');
    await refusal(t, fx, exec, { token: TOKEN, protocols: [`${WS_BEARER_PREFIX}${Buffer.from(TOKEN).toString('base64url')}`] }, 400, 'must offer mesos-sidecar.v1', 'no mesos-sidecar.v1 offered');
    const holder = await openOk(fx.url, exec, { token: TOKEN });
    await holder.message('started');
    await refusal(t, fx, exec, { token: TOKEN }, 429, 'the limit of 1 concurrent sessions is reached', 'maxSessions reached');
    holder.ws.close();
    await holder.closed;
    await until(() => fx.gateway.sockets === 0, 'the holder socket released');
  });
});

t.test('503 before the executor subscribed', async (t) => {
  const fx = await startFixture(t);
  fx.task('web', 'sleep 1000');
  fx.registry.executorContainerId = () => undefined as never;
  await refusal(t, fx, `${WS_EXEC_PREFIX}web`, { token: TOKEN }, 503, 'Agent has not finished recovery', 'not subscribed');
});

t.test('closes of a live socket: a bad control message 1008, a frame past maxPayload 1009, a dead peer', async (t) => {
  const fx = await startFixture(t, { limits: { maxRecordSize: 4096 }, heartbeatIntervalMs: 50 });
  fx.task('web', 'sleep 1000');
  const live = async (): Promise<{ s: Awaited<ReturnType<typeof openOk>>; pid: number }> => {
    const s = await openOk(fx.url, `${WS_EXEC_PREFIX}web?tty=1`, { token: TOKEN });
    const { container_id } = await s.message('started');
    const pid = fx.logs.find((l) => l.msg === 'exec session started' && l.session === container_id)!.pid as number;
    return { s, pid };
  };
  const cases: [string, (s: Awaited<ReturnType<typeof openOk>>) => void, number, RegExp][] = [
    ['a text frame that is not JSON', (s) => s.ws.send('ls\r'), 1008, /not JSON/],
    ['an unknown control type', (s) => s.ws.send(JSON.stringify({ type: 'paste', data: 'x' })), 1008, /unknown control message type "paste"/],
    ['a resize without rows', (s) => s.ws.send(JSON.stringify({ type: 'resize', columns: 80 })), 1008, /resize: columns and rows/],
    ['a control message past its bound', (s) => s.ws.send(JSON.stringify({ type: 'resize', pad: 'x'.repeat(MAX_CONTROL_BYTES) })), 1008, /longer than 1024 bytes/],
    ['a binary frame past maxPayload (4096)', (s) => s.type(Buffer.alloc(5000, 0x61)), 1009, /.*/],
  ];
  for (const [what, send, code, reason] of cases) {
    const { s, pid } = await live();
    send(s);
    const closed = await s.closed;
    t.equal(closed.code, code, `${what}: closed with ${code}`);
    t.match(closed.reason, reason, `${what}: the reason says why`);
    await until(() => processGone(pid), `${what}: session ${pid} gone`);
  }

  // A peer that stops answering pings (a laptop that went to sleep): terminated, session freed.
  const ws = new WebSocket(`${fx.url.replace(/^http/, 'ws')}${WS_EXEC_PREFIX}web?tty=1`, credentialProtocols({ token: TOKEN }), { autoPong: false });
  const started = await new Promise<string>((resolve, reject) => {
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (!binary) resolve((JSON.parse(data.toString()) as { container_id: string }).container_id);
    });
    ws.once('error', reject);
  });
  const pid = fx.logs.find((l) => l.msg === 'exec session started' && l.session === started)!.pid as number;
  const code = await new Promise<number>((resolve) => ws.once('close', resolve));
  t.equal(code, 1006, 'a peer that misses its pongs is terminated (no close frame)');
  await until(() => processGone(pid), `dead peer's session ${pid} gone`);
  t.ok(fx.logs.some((l) => l.msg === 'gateway peer missed a heartbeat; terminating its socket'));
});

t.test('upgraded sockets count against the connection cap', async (t) => {
  const fx = await startFixture(t, { limits: { maxConnections: 2 } });
  fx.task('web', 'sleep 1000');
  const a = await openOk(fx.url, `${WS_EXEC_PREFIX}web?tty=1`, { token: TOKEN });
  const b = await openOk(fx.url, `${WS_EXEC_PREFIX}web?tty=1`, { token: TOKEN });
  await Promise.all([a.message('started'), b.message('started')]);
  await t.rejects(openGateway(fx.url, `${WS_EXEC_PREFIX}web?tty=1`, { token: TOKEN }), 'a third connection is dropped while two sockets are open');
  a.ws.close();
  await a.closed;
  await until(() => fx.gateway.sockets === 1, 'the first socket gone');
  const c = await openOk(fx.url, `${WS_EXEC_PREFIX}web?tty=1`, { token: TOKEN });
  await c.message('started');
  t.pass('a connection is accepted again once one closed');
  for (const s of [b, c]) s.ws.close();
  await Promise.all([b.closed, c.closed]);
});
