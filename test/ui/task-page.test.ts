// The task page in real Chromium against the real executor (child process, agent emulator)
// and its switchboard: sign-in (a wrong token, then the right one), the task list going
// healthy with its check history, an exec terminal (echo, stty size following the window,
// exit status), attach to a TTY task, a closed tab ending its session's process, all under
// the page's CSP with no violation. One browser for the file.
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { SWITCHBOARD_URL_LABEL } from '../../contracts/switchboard.js';
import { UI_CONTENT_SECURITY_POLICY } from '../../switchboard/ui-files.js';
import http from 'node:http';
import { once } from 'node:events';
import { isPng, pidsWithArgument, startBrowser } from '../helpers/browser.js';
import { logLines, scalarResource, shellTask, startExecutor, uniqueId } from '../helpers/tasks.js';
import { processGone, until } from '../helpers/wait.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'ui-test-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// SIDECAR_UPDATE_SCREENSHOTS=1 refreshes the README's pictures; else they stay in the temp dir.
const screenshots = process.env.SIDECAR_UPDATE_SCREENSHOTS === '1' ? path.join(repo, 'docs', 'images') : path.join(dir, 'screenshots');
mkdirSync(screenshots, { recursive: true });

const tokenFile = path.join(dir, 'switchboard.token');
const { agent, exec: executor } = await startExecutor(t, 'json', {}, { MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE: tokenFile, MESOS_SIDECAR_LOG_LEVEL: 'info' });
const web = uniqueId('web');
const tty = uniqueId('console');
const doomed = uniqueId('doomed');
const healthy = agent.waitForUpdate((s) => s.task_id.value === web && s.healthy === true);
agent.launch(shellTask(web, 'sleep 1000', { resources: [scalarResource('cpus', 0.1), scalarResource('mem', 64)], health_check: { type: 'COMMAND', command: { value: 'true' }, delay_seconds: 0, interval_seconds: 0.2 } }));
agent.launch(shellTask(tty, 'echo "console ready"; while read -r line; do echo "you typed: $line"; done', { container: { type: 'MESOS', tty_info: { window_size: { rows: 24, columns: 80 } } } }));
// Killed by its health check: the list says why.
const killed = agent.waitForUpdate((s) => s.task_id.value === doomed && s.state === 'TASK_KILLED');
agent.launch(shellTask(doomed, 'sleep 1000', { health_check: { type: 'COMMAND', command: { value: 'exit 7' }, delay_seconds: 0, interval_seconds: 0.2, grace_period_seconds: 0, consecutive_failures: 1 } }));
const switchboard = (await healthy).labels?.labels?.find((l) => l.key === SWITCHBOARD_URL_LABEL)?.value;
if (!switchboard) throw new Error('the healthy update carries no switchboard URL');
// The file's line, `principal:token`, pasted as it is: the page takes the token part.
const tokenLine = readFileSync(tokenFile, 'utf8').split('\n')[0]!;
const browser = await startBrowser(t);

const row = (page: Page, taskId: string) => page.locator(`tr[data-task-id="${taskId}"]`);

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${switchboard}/ui/`);
  await page.fill('#token', token);
  await page.click('#sign-in button[type=submit]');
}

interface Hooks {
  __terminalText(): string;
  __terminalSize(): { columns: number; rows: number } | null;
}

const terminalText = (page: Page): Promise<string> => page.evaluate(() => (window as unknown as Hooks).__terminalText());
const terminalSize = (page: Page) => page.evaluate(() => (window as unknown as Hooks).__terminalSize());

/** Waits (bounded) until the terminal's text, from `after` on, matches `re`; returns the match. */
async function waitForTerminal(page: Page, re: RegExp, what: string, after = 0): Promise<RegExpExecArray> {
  let text = '';
  const deadline = Date.now() + 15_000;
  for (;;) {
    text = (await terminalText(page)).slice(after);
    const m = re.exec(text);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`${what}: ${re} not on the terminal within 15 s; it shows:\n${text}`);
    await page.waitForTimeout(50);
  }
}

/** Opens Exec on `taskId`'s row with `command` (empty: a shell) and waits for the session to run. */
async function openExec(page: Page, taskId: string, command = ''): Promise<void> {
  await row(page, taskId).locator('input[name=command]').fill(command);
  await row(page, taskId).locator('.exec-button').click();
  await page.locator('#terminal-status', { hasText: /^running in / }).waitFor({ timeout: 15_000 });
}

const page = browser.context.pages()[0] ?? (await browser.newPage());

t.test('the page is served with its CSP; a wrong token gets the sign-in error and no data', async (t) => {
  const response = await page.goto(`${switchboard}/ui/`);
  t.equal(response?.headers()['content-security-policy'], UI_CONTENT_SECURITY_POLICY, 'CSP header on the page');
  // input: a token the switchboard does not know → 401 → the form again, with a message
  await signIn(page, 'not-the-token');
  await page.locator('#sign-in-error').waitFor({ state: 'visible' });
  t.match(await page.textContent('#sign-in-error'), /did not accept this token \(401\)/);
  t.ok(await page.isHidden('#tasks'), 'no task list');
  t.equal(await page.evaluate(() => sessionStorage.length), 0, 'the refused token is not kept');
  t.notMatch(page.url(), /token/, 'the URL carries no credential');
});

t.test('signed in: the task list shows the task healthy, its check history, the TTY task with Attach', async (t) => {
  await signIn(page, tokenLine);
  const webRow = row(page, web);
  await webRow.locator('td.healthy', { hasText: 'healthy' }).waitFor({ timeout: 15_000 });
  t.equal(await webRow.locator('td.state').textContent(), 'RUNNING', 'state, and nothing about an end');
  t.equal(await webRow.locator('td.lastCheck').textContent(), 'COMMAND health check passed: exit 0', 'the last check result');
  // Health updates come on a change of health only: one run since its first success.
  const run = webRow.locator('.runs .run', { hasText: /^✓\d*$/ });
  await run.waitFor({ timeout: 15_000 });
  t.match(await run.getAttribute('title'), /^COMMAND health check passed: exit 0( ×\d+)?, \d/, 'the run says what and when');
  t.match(await run.getAttribute('class'), /tone-ok/, 'shown as a success');
  t.match(await webRow.locator('td.container').textContent(), /\S+\.\S+/, 'the nested container id, as Mesos prints it');
  t.ok(await webRow.locator('.attach-button').isHidden(), 'no Attach for a task without a terminal');
  t.ok(await row(page, tty).locator('.attach-button').isVisible(), 'Attach for the TTY task');
  const ended = await killed;
  const doomedRow = row(page, doomed);
  await doomedRow.locator('td.state', { hasText: /^KILLED/ }).waitFor({ timeout: 15_000 });
  t.equal(await doomedRow.locator('td.state .ended').textContent(), [ended.reason?.replace(/^REASON_/, ''), ended.message].filter(Boolean).join(': '), `why it ended: the terminal update's reason and message (${ended.reason}: ${ended.message})`);
  t.ok(await doomedRow.locator('.runs .run.tone-bad').count() > 0, 'its failed checks in its history');
  t.match(await doomedRow.locator('td.lastCheck').textContent(), /health check failed .*exit 7/, 'its last check, not the terminal message');
  t.ok(await doomedRow.locator('.exec-button').isHidden(), 'no Exec into an ended task');
  // Statistics appear once the containers report them (GET_CONTAINERS in JSON).
  await webRow.locator('td.memory', { hasText: / \/ 64M$/ }).waitFor({ timeout: 15_000 });
  t.match(await webRow.locator('td.processes').textContent(), /^\d+$/, 'processes counted');
  t.equal(await page.evaluate(() => sessionStorage.getItem('mesos-sidecar.token')), tokenLine.slice(tokenLine.indexOf(':') + 1), 'the token (not the principal) in sessionStorage');
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  t.ok(wide <= 1280, `the list fits 1280 px (${wide} px)`);
  const file = path.join(screenshots, 'task-page.png');
  await page.screenshot({ path: file });
  t.ok(isPng(file), `screenshot of the task list: ${file}`);
});

t.test('at phone width the list is one card per task and stays usable', async (t) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const webRow = row(page, web);
  t.equal(await webRow.evaluate((tr) => getComputedStyle(tr).display), 'block', 'rows become cards');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  t.ok(width <= 390, `no horizontal scrolling (${width} px)`);
  const file = path.join(screenshots, 'task-page-phone.png');
  await page.screenshot({ path: file, fullPage: true });
  t.ok(isPng(file), `screenshot at 390×844: ${file}`);
  await page.setViewportSize({ width: 1280, height: 800 });
});

t.test('Exec: a shell; echo hi; stty size follows the window; exit 3 is shown', async (t) => {
  await openExec(page, web);
  await waitForTerminal(page, /[#$] ?$/, "the shell prompt");
  await page.keyboard.type('echo hi');
  await page.keyboard.press('Enter');
  await waitForTerminal(page, /^hi$/m, 'the output of echo hi');

  const sizeOnScreen = async (): Promise<string> => {
    const before = (await terminalText(page)).length;
    await page.keyboard.type('stty size');
    await page.keyboard.press('Enter');
    return (await waitForTerminal(page, /^\d+ \d+$/m, 'the output of stty size', before))[0];
  };
  const first = await terminalSize(page);
  t.equal(await sizeOnScreen(), `${first!.rows} ${first!.columns}`, `stty size is the panel's size (${first!.rows} rows, ${first!.columns} columns)`);
  const file = path.join(screenshots, 'terminal.png');
  await page.screenshot({ path: file });
  t.ok(isPng(file), `screenshot of the terminal: ${file}`);

  // input: a smaller window → fit addon → `resize` → the session's TTY
  await page.setViewportSize({ width: 900, height: 640 });
  await page.waitForFunction((cols) => (window as unknown as Hooks).__terminalSize()!.columns < cols, first!.columns, { timeout: 10_000 });
  const second = await terminalSize(page);
  t.ok(second!.rows < first!.rows, `fewer rows (${second!.rows} < ${first!.rows})`);
  t.equal(await sizeOnScreen(), `${second!.rows} ${second!.columns}`, 'stty size followed the window');
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.keyboard.type('exit 3');
  await page.keyboard.press('Enter');
  await page.locator('#terminal-status', { hasText: 'exited with status 3' }).waitFor({ timeout: 15_000 });
  t.pass('the exit status is shown');
  await page.click('#terminal-close');
  t.ok(await page.isHidden('#terminal'), 'Close hides the panel');
});

t.test('Attach to the TTY task: what is typed reaches it, its answer comes back', async (t) => {
  await row(page, tty).locator('.attach-button').click();
  await page.locator('#terminal-status', { hasText: /^running in / }).waitFor({ timeout: 15_000 });
  await page.keyboard.type('hello from the page');
  await page.keyboard.press('Enter');
  await waitForTerminal(page, /you typed: hello from the page/, "the task's answer");
  await page.click('#terminal-close');
  t.pass('attached, typed, answered');
});

t.test("a closed tab ends its exec session's process", async (t) => {
  const tab = await browser.newPage();
  await signIn(tab, tokenLine);
  // A sleep with a length of its own, to find its host pid (the session runs in the task's pid namespace).
  const marker = `4242.${process.pid}`;
  await openExec(tab, web, `exec sleep ${marker}`);
  let pid: number | undefined;
  await until(() => (pid = pidsWithArgument(marker).find((p) => p !== process.pid)) !== undefined, `the session's sleep ${marker}`);
  await tab.close();
  await until(() => processGone(pid!), `pid ${pid} (the session's sleep) to end after the tab closed`, 15_000);
  t.pass(`pid ${pid} gone`);
});

t.test('a page of another origin cannot open the gateway: 403 before the handshake', async (t) => {
  // input: a page served from another port of 127.0.0.1 (another origin) offering the right token
  const html = `<!doctype html><script>const ws = new WebSocket(${JSON.stringify(`${switchboard.replace(/^http/, 'ws')}/ws/exec/${encodeURIComponent(web)}?tty=1`)}, ${JSON.stringify(['mesos-sidecar.v1', `bearer.${Buffer.from(tokenLine.slice(tokenLine.indexOf(':') + 1)).toString('base64url')}`])});
ws.onopen = () => (document.title = 'opened'); ws.onclose = (e) => (document.title = 'closed ' + e.code);</script>`;
  const foreign = http.createServer((_, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(html));
  foreign.listen(0, '127.0.0.1');
  await once(foreign, 'listening');
  t.teardown(() => foreign.close());
  const other = await browser.newPage();
  const consoleLines: string[] = [];
  other.on('console', (m) => consoleLines.push(m.text()));
  await other.goto(`http://127.0.0.1:${(foreign.address() as { port: number }).port}/`);
  await other.waitForFunction(() => document.title.startsWith('closed'), undefined, { timeout: 10_000 });
  t.equal(await other.title(), 'closed 1006', 'never opened: the handshake failed');
  t.ok(consoleLines.some((l) => /Unexpected response code: 403/.test(l)), `the browser saw a 403 (${consoleLines.join(' | ')})`);
  await until(() => logLines(executor).some((l) => l.msg === 'gateway upgrade from a foreign origin refused'), "the executor's log line for the refusal");
  await other.close();
});

t.test("the page's pure parts, as the browser loads them: URLs without credentials, token lines, exit texts", async (t) => {
  const got = await page.evaluate(async () => {
    const gateway = await import('/ui/gateway.js' as string);
    const api = await import('/ui/api.js' as string);
    const at = { protocol: 'http:', host: '127.0.0.1:9' };
    return {
      execShell: gateway.gatewayUrl(at, { kind: 'exec', taskId: 'web 1/a', command: ' ' }, { columns: 80, rows: 24 }),
      execCommand: gateway.gatewayUrl({ protocol: 'https:', host: 'h' }, { kind: 'exec', taskId: 'w', command: 'ls -l && echo "$HOME"' }, { columns: 1, rows: 2 }),
      attach: gateway.gatewayUrl(at, { kind: 'attach', taskId: 'c' }, { columns: 80, rows: 24 }),
      protocols: gateway.credentialProtocols('tök?en~'),
      exits: [
        { type: 'exit', exit_status: 768, exit_code: 3, signal: null },
        { type: 'exit', exit_status: 9, exit_code: null, signal: 9 },
        { type: 'exit', exit_status: null, exit_code: null, signal: null, message: 'Container destroyed' },
        { type: 'exit', exit_status: null, exit_code: null, signal: null },
      ].map((m) => gateway.describeExit(m)),
      // input: text frames the gateway might send, one of them not a message we know
      parsed: ['{"type":"started","container_id":"a.b","tty":true}', 'not json', '{"type":"surprise"}'].map((m) => gateway.parseServerMessage(m).type),
      tokens: ['abc', ' ops:abc \n', 'ops:a:b'].map((l) => api.tokenOf(l)),
    };
  });
  t.equal(got.execShell, 'ws://127.0.0.1:9/ws/exec/web%201%2Fa?tty=1&columns=80&rows=24', 'a blank command: the task\'s shell; the task id encoded as one path segment');
  t.equal(got.execCommand, `wss://h/ws/exec/w?tty=1&columns=1&rows=2&command=${new URLSearchParams({ c: 'ls -l && echo "$HOME"' }).toString().slice(2)}`, 'https → wss, the command as one query value');
  t.equal(got.attach, 'ws://127.0.0.1:9/ws/attach/c', 'attach: no query (its size follows as a resize)');
  t.same(got.protocols, ['mesos-sidecar.v1', `bearer.${Buffer.from('tök?en~').toString('base64url')}`], 'the credential as base64url (UTF-8, unpadded), never in the URL');
  t.same(got.exits, ['exited with status 3', 'killed by signal 9', 'ended: Container destroyed', 'ended (status unknown)']);
  t.same(got.parsed, ['started', 'unknown', 'unknown'], 'unknown frames are shown, not trusted');
  t.same(got.tokens, ['abc', 'abc', 'a:b'], "a bare token, a token file's principal:token line (only the first colon splits)");
});

t.test('no CSP violation, console error or uncaught exception on the page', async (t) => {
  // The foreign page's refusal is that page's, and expected.
  const ours = browser.problems.filter((p) => p.startsWith(`${switchboard}/ui/`));
  t.same(ours.filter((p) => !/401 \(Unauthorized\)/.test(p)), [], 'nothing but the expected 401 of the wrong token');
});

