// The gateway's pure parts as tables: the Origin rule, the credential subprotocols, the
// query, the control messages, and the allowed-origins setting.
import t from 'tap';
import { checkOrigin } from '../../switchboard/ws/origin.js';
import { authorizationOf, offeredProtocols } from '../../switchboard/ws/credentials.js';
import { closeReason, exitMessage, parseControl } from '../../switchboard/ws/control.js';
import { gatewayTarget, parseAttachQuery, parseExecQuery } from '../../switchboard/ws/request.js';
import { switchboardOptionsFromEnv } from '../../switchboard/config.js';
import { SwitchboardHttpError } from '../../switchboard/errors.js';

/** The SwitchboardHttpError `f` throws (status and body), or undefined. */
function refusal(f: () => unknown): { status: number; body: string } | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof SwitchboardHttpError) return { status: err.status, body: err.body };
    throw err;
  }
  return undefined;
}

t.test('checkOrigin: the request\'s own host, a listed origin, or no Origin at all', async (t) => {
  const listed = ['https://dash.example.com'];
  const cases: [origin: string | undefined, host: string | undefined, ok: boolean][] = [
    [undefined, '127.0.0.1:5051', true],
    ['http://127.0.0.1:5051', '127.0.0.1:5051', true],
    ['http://LOCALHOST:5051', 'localhost:5051', true],
    ['https://example.com', 'example.com:443', true],
    ['http://example.com', 'example.com', true],
    ['https://dash.example.com', '127.0.0.1:5051', true],
    ['https://dash.example.com:8443', '127.0.0.1:5051', false],
    ['http://127.0.0.1:5052', '127.0.0.1:5051', false],
    ['https://127.0.0.1:5051', '127.0.0.1:5051', true],
    ['http://evil.example', '127.0.0.1:5051', false],
    ['null', '127.0.0.1:5051', false],
    ['http://127.0.0.1:5051/path', '127.0.0.1:5051', false],
    ['not a url', '127.0.0.1:5051', false],
    ['http://127.0.0.1:5051', undefined, false],
  ];
  for (const [origin, host, ok] of cases) t.equal(checkOrigin(origin, host, listed).ok, ok, `Origin ${origin} on Host ${host}: ${ok ? 'allowed' : 'refused'}`);
});

t.test('authorizationOf: the subprotocol credential as the header it stands for', async (t) => {
  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  const protocols = (v: string) => offeredProtocols({ 'sec-websocket-protocol': v });
  t.same(protocols(' mesos-sidecar.v1 ,bearer.x,, '), ['mesos-sidecar.v1', 'bearer.x']);
  t.equal(authorizationOf({}, protocols(`mesos-sidecar.v1, bearer.${b64('tok/en+=')}`)), 'Bearer tok/en+=');
  t.equal(authorizationOf({}, protocols(`basic.${b64('ops:s:ecret')}`)), `Basic ${Buffer.from('ops:s:ecret').toString('base64')}`);
  t.equal(authorizationOf({}, protocols('bearer.a=b')), 'Bearer', 'not base64url: a credential that matches nothing');
  t.equal(authorizationOf({ authorization: 'Bearer h' }, protocols('mesos-sidecar.v1')), 'Bearer h', 'no credential protocol: the Authorization header');
  t.equal(authorizationOf({}, []), undefined);
  t.match(refusal(() => authorizationOf({}, protocols('bearer.eA, basic.eA'))), { status: 400 }, 'two credentials');
});

t.test('parseExecQuery', async (t) => {
  const q = (s: string) => parseExecQuery(new URLSearchParams(s));
  t.same(q(''), { command: { shell: false, value: '/bin/sh', arguments: ['/bin/sh'] } }, 'no command: the shell');
  t.same(q('tty=1&columns=100&rows=30&command=ls%20-l&user=nobody'), { command: { shell: true, value: 'ls -l', user: 'nobody' }, tty: { window_size: { columns: 100, rows: 30 } } });
  t.same(q('tty=1&arg=cat&arg=-n'), { command: { shell: false, value: 'cat', arguments: ['cat', '-n'] }, tty: {} });
  const refused: [string, RegExp][] = [
    ['tty=yes', /'tty': expected 1 or 0/],
    ['columns=80&rows=24', /need 'tty=1'/],
    ['tty=1&columns=80', /go together/],
    ['tty=1&columns=70000&rows=1', /from 1 to 65535/],
    ['command=a&arg=b', /not both/],
    ['command=', /'command' is empty/],
    ['user=', /'user' is empty/],
    ['tty=1&tty=1', /given 2 times/],
    ['token=secret', /Unknown query parameter 'token'/],
  ];
  for (const [query, message] of refused) t.match(refusal(() => q(query)), { status: 400, body: message }, `?${query}: 400`);
});

t.test('gatewayTarget and parseAttachQuery', async (t) => {
  t.same(gatewayTarget('/ws/exec/web%2Fx.1?tty=1')?.taskId, 'web/x.1', 'the id is one path segment, URL-decoded');
  t.same(gatewayTarget('/ws/attach/a%20b')?.taskId, 'a b');
  t.equal(gatewayTarget('/ws/exec/'), undefined);
  t.equal(gatewayTarget('/ws/exec/a/b'), undefined);
  t.equal(gatewayTarget('/api/v1'), undefined);
  t.match(refusal(() => gatewayTarget('/ws/exec/%E0%A4%A')), { status: 400 });
  t.same(parseAttachQuery(new URLSearchParams('tail=100')), { tail: 100 });
  t.match(refusal(() => parseAttachQuery(new URLSearchParams('tail=-1'))), { status: 400 });
  t.match(refusal(() => parseAttachQuery(new URLSearchParams('tty=1'))), { status: 400, body: /Unknown query parameter 'tty'/ });
});

t.test('parseControl: known messages, and a reason for everything else', async (t) => {
  t.same(parseControl('{"type":"resize","columns":80,"rows":24}'), { ok: true, message: { type: 'resize', columns: 80, rows: 24 } });
  t.same(parseControl('{"type":"stdin-end","extra":1}'), { ok: true, message: { type: 'stdin-end' } });
  const bad: [string, RegExp][] = [
    ['ls', /not JSON/],
    ['[1]', /JSON object/],
    ['null', /JSON object/],
    ['{"type":"resize","columns":0,"rows":1}', /columns and rows/],
    ['{"type":"resize","columns":1.5,"rows":1}', /columns and rows/],
    ['{"type":"resize","columns":"80","rows":24}', /columns and rows/],
    ['{"type":"exit"}', /unknown control message type "exit"/],
    ['{}', /unknown control message type undefined/],
    [JSON.stringify({ type: 'resize', pad: 'x'.repeat(2000) }), /longer than 1024 bytes/],
  ];
  for (const [text, reason] of bad) {
    const parsed = parseControl(text);
    t.ok(!parsed.ok && reason.test(parsed.reason), `${text.slice(0, 40)}: refused (${parsed.ok ? 'accepted' : parsed.reason})`);
  }
});

t.test('exitMessage and closeReason', async (t) => {
  t.same(exitMessage(3 << 8), { type: 'exit', exit_status: 768, exit_code: 3, signal: null });
  t.same(exitMessage(9), { type: 'exit', exit_status: 9, exit_code: null, signal: 9 });
  t.same(exitMessage(undefined, 'Memory limit exceeded'), { type: 'exit', exit_status: null, exit_code: null, signal: null, message: 'Memory limit exceeded' });
  const long = 'é'.repeat(100);
  t.ok(Buffer.byteLength(closeReason(long)) <= 123, 'a close reason fits a control frame');
  t.equal(closeReason('short'), 'short');
});

t.test('MESOS_SIDECAR_SWITCHBOARD_ALLOWED_ORIGINS', async (t) => {
  t.same(switchboardOptionsFromEnv({ MESOS_SIDECAR_SWITCHBOARD_ALLOWED_ORIGINS: 'https://dash.example.com, http://10.0.0.1:8080/' }).allowedOrigins, ['https://dash.example.com', 'http://10.0.0.1:8080']);
  t.equal(switchboardOptionsFromEnv({}).allowedOrigins, undefined);
  t.throws(() => switchboardOptionsFromEnv({ MESOS_SIDECAR_SWITCHBOARD_ALLOWED_ORIGINS: 'dash.example.com' }), { code: 'E_SWITCHBOARD_CONFIG', message: /ALLOWED_ORIGINS: expected origins as scheme:\/\/host\[:port\].*got 'dash.example.com'/ });
  t.throws(() => switchboardOptionsFromEnv({ MESOS_SIDECAR_SWITCHBOARD_ALLOWED_ORIGINS: 'https://x.example/app' }), { code: 'E_SWITCHBOARD_CONFIG' }, 'an origin has no path');
});
