// Real Chromium for the task page's tests: Debian's `chromium` driven by playwright-core
// (which downloads no browser), one browser per test file with a fresh profile in a temp
// dir, allowed to reach 127.0.0.1 only, and gone (checked by pid) at teardown.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { Test } from 'tap';
import { processGone, until } from './wait.js';

/** The flags of every launch: no GPU, no sandbox (root in CI), nothing phoning home. */
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
  // Names resolve to nothing, except the loopback the tests serve on.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/** Debian's chromium, or an error saying how to get it (make test-deps installs it). */
export function chromiumPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium is not installed: run `make test-deps` (apt-get install chromium) before the browser tests');
  }
}

/** Pids whose command line names `marker` (the browser's profile dir identifies its processes). */
export function pidsWithArgument(marker: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').some((a) => a.includes(marker))) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export interface TestBrowser {
  context: BrowserContext;
  /** The browser's main process. */
  pid: number;
  /** Console messages and CSP violations of every page, for the test to assert none. */
  problems: string[];
  newPage(): Promise<Page>;
}

export async function startBrowser(t: Test, viewport = { width: 1280, height: 800 }): Promise<TestBrowser> {
  const executablePath = chromiumPath();
  const profile = mkdtempSync(path.join(tmpdir(), 'ui-test-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: CHROMIUM_FLAGS, viewport });
  // The main process is the one whose --user-data-dir is ours and which has no --type=.
  const pid = pidsWithArgument(`--user-data-dir=${profile}`).find((p) => !readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--type='));
  const problems: string[] = [];
  t.teardown(async () => {
    await context.close();
    if (pid !== undefined) await until(() => processGone(pid), `chromium (pid ${pid}) to exit`, 10_000);
    await until(() => pidsWithArgument(profile).length === 0, 'every chromium process of this test to exit', 10_000);
    rmSync(profile, { recursive: true, force: true });
  });
  if (pid === undefined) throw new Error(`chromium started but no process names --user-data-dir=${profile}`);
  await context.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    return host === '127.0.0.1' ? route.continue() : route.abort('blockedbyclient');
  });
  // Before any page script: a CSP violation is an event on the document.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`));
  });
  const watch = (page: Page): void => {
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${page.url()}: console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`${page.url()}: uncaught ${err.message}`));
  };
  for (const page of context.pages()) watch(page);
  context.on('page', watch);
  return { context, pid, problems, newPage: () => context.newPage() };
}

/** True when `file` starts with the PNG signature and has more than it. */
export function isPng(file: string): boolean {
  const bytes = readFileSync(file);
  return bytes.length > 1000 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
}
