// The task page's static files (ui/, built into dist/ui/ by make build) and the xterm.js
// files it loads, served without authentication: they are public code, and every request
// for data the page then makes carries the credential. A fixed table maps each URL to one
// file, so no part of a request's path ever reaches the file system.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { notFound, SwitchboardHttpError } from './errors.js';

export const UI_PREFIX = '/ui/';

/**
 * Only the page's own scripts, styles, fonts and connections. xterm.js's DOM renderer writes
 * its cell sizes and theme into <style> elements it creates at run time (no nonce option),
 * so style elements may be inline; style attributes, scripts and everything else may not.
 * Without the inline elements the terminal draws its rows on top of each other.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "style-src-elem 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const dist = fileURLToPath(new URL('../ui/', import.meta.url));
const require = createRequire(import.meta.url);
const xterm = dirname(require.resolve('@xterm/xterm/package.json'));
const addonFit = dirname(require.resolve('@xterm/addon-fit/package.json'));

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** URL below /ui/ → the file and its type. The page's modules import each other and ws-gateway.js by these names. */
const FILES: ReadonlyMap<string, { file: string; type: string }> = new Map([
  ['', { file: join(dist, 'index.html'), type: HTML }],
  ['style.css', { file: join(dist, 'style.css'), type: CSS }],
  ...['main', 'api', 'task-list', 'terminal', 'gateway'].map((m) => [`${m}.js`, { file: join(dist, `${m}.js`), type: JS }] as const),
  ['contracts/ws-gateway.js', { file: join(dist, '..', 'contracts', 'ws-gateway.js'), type: JS }],
  ['common/units.js', { file: join(dist, '..', 'common', 'units.js'), type: JS }],
  // The ES module builds: the page loads them with import, no global script.
  ['vendor/xterm.js', { file: join(xterm, 'lib', 'xterm.mjs'), type: JS }],
  ['vendor/xterm.css', { file: join(xterm, 'css', 'xterm.css'), type: CSS }],
  ['vendor/addon-fit.js', { file: join(addonFit, 'lib', 'addon-fit.mjs'), type: JS }],
]);

const SECURITY_HEADERS = {
  'Content-Security-Policy': UI_CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/** The page's address on the switchboard at `switchboardUrl`; undefined for a unix socket, which a browser cannot open. */
export function taskPageUrl(switchboardUrl: string): string | undefined {
  if (!/^https?:\/\//.test(switchboardUrl)) return undefined;
  return `${switchboardUrl.replace(/\/+$/, '')}${UI_PREFIX}`;
}

/** True for the paths this module answers: `/ui` and everything below `/ui/`. */
export function isUiPath(path: string): boolean {
  return path === '/ui' || path.startsWith(UI_PREFIX);
}

export async function serveUi(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new SwitchboardHttpError('E_METHOD', 405, `405 Method Not Allowed. Expecting one of { 'GET', 'HEAD' }, but received '${req.method ?? ''}'.`, { Allow: 'GET, HEAD' });
  }
  if (path === '/ui') {
    res.writeHead(301, { Location: UI_PREFIX, 'Content-Length': 0, ...SECURITY_HEADERS });
    res.end();
    return;
  }
  const entry = FILES.get(path.slice(UI_PREFIX.length));
  if (!entry) throw notFound('');
  let body: Buffer;
  try {
    body = await readFile(entry.file);
  } catch (err) {
    // A checkout that was not built (or a tarball without ui/): say so instead of a bare 500.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SwitchboardHttpError('E_UI_MISSING', 500, `${entry.file} is missing: run make build`);
    throw err;
  }
  res.writeHead(200, { 'Content-Type': entry.type, 'Content-Length': body.length, ...SECURITY_HEADERS });
  res.end(req.method === 'HEAD' ? undefined : body);
}

