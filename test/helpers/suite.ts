// One switch for the robustness suites (test/fuzz, test/soak): `make test` runs a short
// fixed-seed slice of each; `make fuzz` / `make soak` set SIDECAR_SUITE_SCALE=full and
// the same files run at full size and record their figures under bench/results/.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMeta } from '../../bench/stats.js';

export type SuiteScale = 'short' | 'full';

export function suiteScale(): SuiteScale {
  const v = process.env.SIDECAR_SUITE_SCALE ?? 'short';
  if (v !== 'short' && v !== 'full') throw new Error(`SIDECAR_SUITE_SCALE must be short or full, got ${JSON.stringify(v)}`);
  return v;
}

/** `short` in make test, `full` in make fuzz / make soak. */
export function bySuiteScale<T>(short: T, full: T): T {
  return suiteScale() === 'full' ? full : short;
}

/** Fixed seed for the slice in make test; a full run may pick one (printed so it can be replayed). */
export function fuzzSeed(): number {
  const fromEnv = process.env.SIDECAR_FUZZ_SEED;
  if (fromEnv !== undefined) return Number(fromEnv);
  return suiteScale() === 'full' ? Date.now() % 2 ** 31 : 424242;
}

const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bench/results');

/**
 * Writes bench/results/<name>.json (full runs only, so `make test` never rewrites the
 * committed figures). `figures` is what the README renders.
 */
/** mulberry32: a small seeded generator in [0, 1), so a failing run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

export function writeSuiteResult(name: string, started: Date, figures: Record<string, unknown>): void {
  if (suiteScale() !== 'full') return;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  writeFileSync(`${file}.tmp`, `${JSON.stringify({ meta: runMeta(started, name), figures }, null, 2)}\n`);
  // rename: a crashed run never leaves half a file for the README renderer.
  renameSync(`${file}.tmp`, file);
}
