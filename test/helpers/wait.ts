// Waiting on conditions the tests cannot get an event for (a file a fixture writes, a
// process disappearing), without guessing a sleep: fs.watch where possible, else a
// bounded check loop that fails loudly at its deadline.
import { existsSync, readFileSync, watch } from 'node:fs';
import path from 'node:path';

/** Resolves with the file's content once it exists (fixtures create it by rename). */
export async function waitForFile(file: string, timeoutMs = 10_000): Promise<string> {
  const dir = path.dirname(file);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  return new Promise((resolve, reject) => {
    const watcher = watch(dir, () => check());
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`${file} did not appear within ${timeoutMs} ms`));
    }, timeoutMs);
    const check = (): void => {
      if (!existsSync(file)) return;
      watcher.close();
      clearTimeout(timer);
      resolve(readFileSync(file, 'utf8'));
    };
    check();
  });
}

/** A pid that no longer runs: gone, or a zombie nobody has reaped yet. */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Polls `cond` every 10 ms until true; rejects after `timeoutMs`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `promise`, or a loud rejection naming `what` if it has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * For tests that need root (user switching, namespaces, cgroups): without it they fail and
 * say why, never pass by skipping. Returns false when the test must stop.
 */
export function requireRoot(t: { fail(message: string): void }, what: string): boolean {
  if (process.getuid?.() === 0) return true;
  t.fail(`${what} needs root: run the suite as root (CI does)`);
  return false;
}
