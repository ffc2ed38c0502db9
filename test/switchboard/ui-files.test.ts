// GET /ui/: the task page's files through the switchboard's HTTP server, without a
// credential, with the security headers; a fixed table, so nothing else under /ui/ (a
// traversal, a source map, a file that exists on disk) is served, and the API stays closed.
import t from 'tap';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { request } from 'undici';
import { UI_CONTENT_SECURITY_POLICY } from '../../switchboard/ui-files.js';
import { startFixture } from './harness.js';

t.test('the page, its modules and xterm are served without credentials, with CSP, nosniff, no-referrer, no-cache', async (t) => {
  const fx = await startFixture(t);
  const xtermMjs = readFileSync(createRequire(import.meta.url).resolve('@xterm/xterm').replace(/xterm\.js$/, 'xterm.mjs'), 'utf8');
  const cases: Array<[path: string, type: string, contains: string]> = [
    ['/ui/', 'text/html; charset=utf-8', '<script type="module" src="main.js">'],
    ['/ui/style.css', 'text/css; charset=utf-8', '#terminal'],
    ['/ui/main.js', 'text/javascript; charset=utf-8', "from './terminal.js'"],
    ['/ui/terminal.js', 'text/javascript; charset=utf-8', "from './vendor/xterm.js'"],
    ['/ui/gateway.js', 'text/javascript; charset=utf-8', "from './contracts/ws-gateway.js'"],
    ['/ui/contracts/ws-gateway.js', 'text/javascript; charset=utf-8', 'mesos-sidecar.v1'],
    ['/ui/common/units.js', 'text/javascript; charset=utf-8', 'export function formatBytes'],
    ['/ui/vendor/xterm.js', 'text/javascript; charset=utf-8', xtermMjs.slice(0, 200)],
    ['/ui/vendor/xterm.css', 'text/css; charset=utf-8', '.xterm'],
    ['/ui/vendor/addon-fit.js', 'text/javascript; charset=utf-8', 'FitAddon'],
  ];
  for (const [path, type, contains] of cases) {
    const res = await request(`${fx.url}${path}`);
    const body = await res.body.text();
    t.equal(res.statusCode, 200, `GET ${path} without Authorization: 200`);
    t.equal(res.headers['content-type'], type, `${path}: Content-Type`);
    t.ok(body.includes(contains), `${path}: the right file`);
    t.equal(res.headers['content-security-policy'], UI_CONTENT_SECURITY_POLICY, `${path}: CSP`);
    t.equal(res.headers['x-content-type-options'], 'nosniff');
    t.equal(res.headers['referrer-policy'], 'no-referrer');
    t.equal(res.headers['cache-control'], 'no-cache');
  }
  t.match(UI_CONTENT_SECURITY_POLICY, /script-src 'self';/, 'scripts: the page\'s own only');
  t.notMatch(UI_CONTENT_SECURITY_POLICY, /unsafe-eval|script-src[^;]*unsafe-inline/, 'no eval, no inline script');

  const redirect = await request(`${fx.url}/ui`);
  await redirect.body.dump();
  t.equal(redirect.statusCode, 301, 'GET /ui: a redirect');
  t.equal(redirect.headers.location, '/ui/');

  const head = await request(`${fx.url}/ui/`, { method: 'HEAD' });
  await head.body.dump();
  t.equal(head.statusCode, 200, 'HEAD /ui/: 200');
});

/** The status of GET `path` sent byte for byte. */
function rawStatus(base: string, path: string): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    http.get({ hostname, port, path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

t.test('nothing outside the table: 404 for traversals, maps, other files; 405 for POST; the API still needs the token', async (t) => {
  const fx = await startFixture(t);
  // input: paths under /ui/ that are not in the table (some exist on disk next to the served ones)
  // (sent as they are: a URL parser would resolve the dots before they left)
  for (const path of ['/ui/index.html', '/ui/main.js.map', '/ui/../package.json', '/ui/%2e%2e/package.json', '/ui/vendor/../../package.json', '/ui/vendor/xterm.mjs', '/ui/tsconfig.json', '/ui//main.js', '/ui/api.ts']) {
    t.equal(await rawStatus(fx.url, path), 404, `GET ${path}: 404`);
  }
  t.equal(await rawStatus(fx.url, '/uix'), 401, 'GET /uix: not a page path, so authentication as before');
  // input: a method other than GET/HEAD → 405 naming the allowed ones
  const post = await request(`${fx.url}/ui/`, { method: 'POST', body: 'x' });
  t.equal(post.statusCode, 405);
  t.equal(post.headers.allow, 'GET, HEAD');
  await post.body.dump();
  // The page is public; the data is not.
  const tasks = await request(`${fx.url}/tasks`);
  await tasks.body.dump();
  t.equal(tasks.statusCode, 401, 'GET /tasks without a token: still 401');
});
