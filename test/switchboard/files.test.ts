// The agent's files API on the switchboard, on the wire: /files/read offsets and errors,
// /files/browse entries, /files/download, paths leading out of the sandbox, ACL and
// authentication. Each case names the request and the agent's answer it must match.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { parseAcl } from '../../switchboard/acl.js';
import { SwitchboardClient } from '../../switchboard/client.js';
import { parseReadBody } from '../../switchboard/files/client.js';
import { READ_LIMIT } from '../../switchboard/files/endpoints.js';
import { EXECUTOR_ID, FRAMEWORK_ID, startFixture, TOKEN, type Fixture } from './harness.js';

const ROOT = `/frameworks/${FRAMEWORK_ID}/executors/${EXECUTOR_ID}/runs/latest`;
const WEB = `${ROOT}/tasks/web`;

function get(client: SwitchboardClient, endpoint: string, query: Record<string, string>) {
  return client.raw('GET', `/files/${endpoint}?${new URLSearchParams(query)}`, {});
}

/** A sandbox laid out as the executor does it: tasks/<task_id>/{stdout,stderr}. */
function layOut(fx: Fixture, taskId: string, stdout: Buffer | string, stderr = ''): string {
  const dir = path.join(fx.sandbox, 'tasks', taskId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'stdout'), stdout);
  writeFileSync(path.join(dir, 'stderr'), stderr);
  return dir;
}

t.test('/files/read: offsets and lengths as the agent answers them', async (t) => {
  const fx = await startFixture(t);
  layOut(fx, 'web', 'hello\nworld\n');
  const cases: Array<[what: string, query: Record<string, string>, status: number, body: unknown]> = [
    ['offset absent: size only', { path: `${WEB}/stdout` }, 200, { data: '', offset: 12 }],
    ['offset -1: size only', { path: `${WEB}/stdout`, offset: '-1' }, 200, { data: '', offset: 12 }],
    ['offset 0: the whole file', { path: `${WEB}/stdout`, offset: '0' }, 200, { data: 'hello\nworld\n', offset: 0 }],
    ['offset 6, length 3', { path: `${WEB}/stdout`, offset: '6', length: '3' }, 200, { data: 'wor', offset: 6 }],
    ['length -1 is absent', { path: `${WEB}/stdout`, offset: '6', length: '-1' }, 200, { data: 'world\n', offset: 6 }],
    ['length 0: no data', { path: `${WEB}/stdout`, offset: '0', length: '0' }, 200, { data: '', offset: 0 }],
    ['offset at the end', { path: `${WEB}/stdout`, offset: '12' }, 200, { data: '', offset: 12 }],
    ['offset past the end echoes the offset', { path: `${WEB}/stdout`, offset: '99999999999' }, 200, { data: '', offset: 99999999999 }],
    ['hex offset as numify reads it', { path: `${WEB}/stdout`, offset: '0x6' }, 200, { data: 'world\n', offset: 6 }],
    ['the real sandbox path names the same file', { path: `${fx.sandbox}/tasks/web/stdout`, offset: '0', length: '5' }, 200, { data: 'hello', offset: 0 }],
    ['offset -2', { path: `${WEB}/stdout`, offset: '-2' }, 400, 'Negative offset provided: -2.\n'],
    ['offset abc', { path: `${WEB}/stdout`, offset: 'abc' }, 400, "Failed to parse offset: Failed to convert 'abc' to number.\n"],
    ['length -5', { path: `${WEB}/stdout`, offset: '0', length: '-5' }, 400, 'Negative length provided: -5.\n'],
    ['length 1.5', { path: `${WEB}/stdout`, offset: '0', length: '1.5' }, 400, "Failed to parse length: Failed to convert '1.5' to number.\n"],
    ['no path', { offset: '0' }, 400, "Expecting 'path=value' in query.\n"],
    ['a directory', { path: WEB, offset: '0' }, 400, 'Cannot read a directory.\n'],
    ['a missing file', { path: `${WEB}/nope`, offset: '0' }, 404, ''],
    ['a path outside every sandbox name', { path: '/slave/log', offset: '0' }, 404, ''],
  ];
  for (const [what, query, status, body] of cases) {
    const res = await get(fx.client, 'read', query);
    t.equal(res.status, status, `${what}: status`);
    if (status === 200) {
      t.equal(res.headers['content-type'], 'application/json', `${what}: JSON`);
      t.same(JSON.parse(res.body.toString()), body, `${what}: body`);
    } else t.equal(res.body.toString(), body, `${what}: body`);
  }
});

t.test('/files/read: raw bytes in a JSON string, at most 16 pages, jsonp', async (t) => {
  const fx = await startFixture(t);
  const bytes = Buffer.from([0x00, 0x01, 0x0a, 0x22, 0x5c, 0x41, 0x7f, 0x80, 0xc3, 0xff]);
  layOut(fx, 'bin', bytes);
  const raw = await get(fx.client, 'read', { path: `${ROOT}/tasks/bin/stdout`, offset: '0' });
  t.equal(raw.body.subarray(0, 40).toString('latin1'), '{"data":"\\u0000\\u0001\\n\\"\\\\A\x7f\x80\xc3\xff","offset":0}'.slice(0, 40), 'control characters escaped as rapidjson does, other bytes raw');
  t.same(parseReadBody(raw.body).data, bytes, 'the client gets the exact bytes back');

  layOut(fx, 'big', Buffer.alloc(READ_LIMIT * 2 + 10, 'x'));
  const big = parseReadBody((await get(fx.client, 'read', { path: `${ROOT}/tasks/big/stdout`, offset: '5' })).body);
  t.equal(big.data.length, READ_LIMIT, 'a read without length returns at most 16 pages');
  const capped = parseReadBody((await get(fx.client, 'read', { path: `${ROOT}/tasks/big/stdout`, offset: '0', length: String(10 * READ_LIMIT) })).body);
  t.equal(capped.data.length, READ_LIMIT, 'a larger length is capped at 16 pages');

  const jsonp = await get(fx.client, 'read', { path: `${ROOT}/tasks/bin/stdout`, jsonp: 'cb.done' });
  t.equal(jsonp.headers['content-type'], 'text/javascript');
  t.equal(jsonp.body.toString(), `cb.done({"data":"","offset":${bytes.length}})`, 'jsonp wraps the JSON');
  const evil = await get(fx.client, 'read', { path: `${ROOT}/tasks/bin/stdout`, jsonp: 'alert(1);x' });
  t.equal(evil.status, 400, 'a jsonp value that is not a callback name is refused');
});

t.test('/files/browse and /files/download', async (t) => {
  const fx = await startFixture(t);
  layOut(fx, 'web', 'page\n', 'warn\n');
  writeFileSync(path.join(fx.sandbox, 'stdout'), 'executor log\n');
  const me = userInfo().username;

  const root = await get(fx.client, 'browse', { path: `${ROOT}/` });
  t.equal(root.status, 200);
  const rootEntries = JSON.parse(root.body.toString()) as Array<Record<string, unknown>>;
  t.same(rootEntries.map((e) => e.path), [`${ROOT}/stdout`, `${ROOT}/tasks`], 'sorted entries with virtual paths (trailing slash dropped)');
  t.match(rootEntries[1], { nlink: Number, size: Number, mode: /^drwx/, uid: me }, 'a directory entry');

  const web = JSON.parse((await get(fx.client, 'browse', { path: WEB })).body.toString()) as Array<Record<string, unknown>>;
  t.same(web.map((e) => Object.keys(e)), [['path', 'nlink', 'size', 'mtime', 'mode', 'uid', 'gid'], ['path', 'nlink', 'size', 'mtime', 'mode', 'uid', 'gid']], 'the agent fields, in its order');
  t.match(web[1], { path: `${WEB}/stdout`, nlink: 1, size: 5, mode: /^-rw/, uid: me }, 'a file entry');
  t.ok(Math.abs((web[1]!.mtime as number) - Date.now() / 1000) < 120, 'mtime in seconds');

  t.same(JSON.parse((await get(fx.client, 'browse', { path: `${WEB}/stdout` })).body.toString()), [], 'browsing a file gives []');
  t.equal((await get(fx.client, 'browse', { path: `${WEB}/missing` })).status, 404, 'a missing directory: 404');
  const noPath = await get(fx.client, 'browse', {});
  t.equal(noPath.status, 400);
  t.equal(noPath.body.toString(), "Expecting 'path=value' in query.\n");

  const dl = await get(fx.client, 'download', { path: `${WEB}/stderr` });
  t.equal(dl.status, 200);
  t.equal(dl.body.toString(), 'warn\n', 'the raw file');
  t.equal(dl.headers['content-type'], 'application/octet-stream');
  t.equal(dl.headers['content-disposition'], 'attachment; filename=stderr');
  const dir = await get(fx.client, 'download', { path: WEB });
  t.equal(dir.status, 400);
  t.equal(dir.body.toString(), 'Cannot download a directory.\n');

  const post = await fx.client.raw('POST', `/files/read?path=${WEB}/stdout`, {});
  t.equal(post.status, 405, 'POST is not a files call');
  t.equal((await get(fx.client, 'debug', {})).status, 404, '/files/debug (the virtual path map) is not served');
});

t.test('paths leading out of the sandbox: 400 inaccessible, logged at warn', async (t) => {
  const fx = await startFixture(t);
  const web = layOut(fx, 'web', 'ok\n');
  const outside = mkdtempSync(path.join(tmpdir(), 'sb-outside-'));
  t.teardown(() => rmSync(outside, { recursive: true, force: true }));
  writeFileSync(path.join(outside, 'secret'), 'do not read\n');
  symlinkSync(path.join(outside, 'secret'), path.join(web, 'escape'));
  symlinkSync(outside, path.join(web, 'escape-dir'));
  symlinkSync('stdout', path.join(web, 'inside'));
  const relativeOut = path.relative(path.join(fx.sandbox), path.join(outside, 'secret'));

  const cases: Array<[what: string, endpoint: string, requested: string]> = [
    ['.. up and out', 'read', `${ROOT}/${relativeOut}`],
    ['.. through a task directory', 'read', `${WEB}/../../${relativeOut}`],
    ['a symlink to a file outside', 'read', `${WEB}/escape`],
    ['a symlink to a directory outside (browse)', 'browse', `${WEB}/escape-dir`],
    ['a file below a symlinked directory outside (download)', 'download', `${WEB}/escape-dir/secret`],
  ];
  for (const [what, endpoint, requested] of cases) {
    const before = fx.logs.length;
    const res = await get(fx.client, endpoint, { path: requested, offset: '0' });
    t.equal(res.status, 400, `${what}: 400`);
    t.match(res.body.toString(), /^'.*' is inaccessible\.\n$/, `${what}: the agent's message`);
    t.notMatch(res.body.toString(), 'do not read', `${what}: nothing of the file`);
    t.ok(fx.logs.slice(before).some((l) => l.level === 40 && l.msg.includes('outside the sandbox') && l.path === requested && l.principal === 'ops'), `${what}: logged at warn with principal and path`);
  }
  const inside = parseReadBody((await get(fx.client, 'read', { path: `${WEB}/inside`, offset: '0' })).body);
  t.equal(inside.data.toString(), 'ok\n', 'a symlink that stays inside is followed');
});

t.test('hostile paths: a clear answer each, nothing served from elsewhere', async (t) => {
  const fx = await startFixture(t);
  layOut(fx, 'web', 'x');
  const cases: Array<[what: string, requested: string, status: number, body: RegExp]> = [
    ['a NUL character', `${WEB}/stdout\0x`, 400, /^Failed to determine canonical path of '.*stdout\\0x': the path contains a NUL character\.\n$/],
    ['a 5000-character name', `${ROOT}/${'a'.repeat(5000)}`, 400, /^Failed to determine canonical path of .*name too long/],
    ['a trailing slash after a file (the agent strips it)', `${WEB}/stdout/`, 200, /^\{"data":"x","offset":0\}$/],
    ['a path below a file', `${WEB}/stdout/more`, 404, /^$/],
    ['not a sandbox path at all', '\u00ff\u00fe', 404, /^$/],
    ['percent-encoded dots', `${WEB}/%2e%2e/%2e%2e/%2e%2e`, 400, /is inaccessible\.\n$/],
  ];
  for (const [what, requested, status, body] of cases) {
    const query = requested.includes('%2e') ? `path=${requested}&offset=0` : new URLSearchParams({ path: requested, offset: '0' }).toString();
    const res = await fx.client.raw('GET', `/files/read?${query}`, {});
    t.equal(res.status, status, `${what}: ${status}`);
    t.match(res.body.toString(), body, `${what}: body`);
  }
});

t.test('authentication and the ACL call ACCESS_SANDBOX', async (t) => {
  const fx = await startFixture(t, {
    auth: { tokens: [{ principal: 'ops', token: TOKEN }, { principal: 'web-reader', token: 'web-token' }, { principal: 'lister', token: 'list-token' }] },
    acl: parseAcl(
      {
        principals: {
          ops: { calls: ['*'], tasks: ['*'] },
          'web-reader': { calls: ['ACCESS_SANDBOX'], tasks: ['web'] },
          lister: { calls: ['GET_TASKS'], tasks: ['*'] },
        },
      },
      'test',
    ),
  });
  layOut(fx, 'web', 'web out\n');
  const api = layOut(fx, 'api', 'api out\n');
  symlinkSync(path.join(api, 'stdout'), path.join(fx.sandbox, 'tasks', 'web', 'api-link'));

  const anonymous = await get(new SwitchboardClient({ url: fx.url }), 'read', { path: `${WEB}/stdout`, offset: '0' });
  t.equal(anonymous.status, 401, 'no credentials: 401');
  t.equal(anonymous.headers['www-authenticate'], 'Bearer realm="mesos-sidecar"', 'with the challenge');
  t.equal((await get(new SwitchboardClient({ url: fx.url, token: 'wrong' }), 'browse', { path: ROOT })).status, 401, 'a wrong token: 401');

  const webReader = new SwitchboardClient({ url: fx.url, token: 'web-token' });
  const lister = new SwitchboardClient({ url: fx.url, token: 'list-token' });
  t.equal(parseReadBody((await get(webReader, 'read', { path: `${WEB}/stdout`, offset: '0' })).body).data.toString(), 'web out\n', 'ACCESS_SANDBOX on web: web is readable');
  const cases: Array<[what: string, client: SwitchboardClient, endpoint: string, requested: string, taskId: string | undefined]> = [
    ['no ACCESS_SANDBOX at all', lister, 'read', `${WEB}/stdout`, 'web'],
    ['no ACCESS_SANDBOX: browse', lister, 'browse', ROOT, undefined],
    ["another task's file", webReader, 'read', `${ROOT}/tasks/api/stdout`, 'api'],
    ["the executor's own files need the pattern *", webReader, 'browse', ROOT, undefined],
    ["a symlink from web into api's sandbox", webReader, 'read', `${WEB}/api-link`, 'api'],
    ['a missing file is 403 before 404', lister, 'download', `${WEB}/none`, 'web'],
  ];
  for (const [what, client, endpoint, requested, taskId] of cases) {
    const before = fx.logs.length;
    const res = await get(client, endpoint, { path: requested, offset: '0' });
    t.equal(res.status, 403, `${what}: 403`);
    t.equal(res.body.length, 0, `${what}: empty body, as the agent answers`);
    t.ok(fx.logs.slice(before).some((l) => l.level === 40 && l.call === 'ACCESS_SANDBOX' && l.task_id === taskId), `${what}: logged at warn`);
  }
});
