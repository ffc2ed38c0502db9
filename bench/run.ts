// `make bench` / `node dist/bench/run.js [suite...]`: runs every suite found as
// dist/bench/<name>/index.js (bench/<name>/index.ts), each exporting
// `run(): Promise<object>`, one after the other so they do not disturb each other, and
// writes each result to bench/results/<name>.json with a `meta` block saying where and
// when it was measured, then re-renders the docs' tables from bench/results. Suites
// are found by directory, so adding one needs no edit here.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { updateDocs } from './report.js';
import { machineBefore, runMeta } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
const repo = resolve(here, '../..');
const resultsDir = join(repo, 'bench', 'results');

export function discoverSuites(dir = here): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'index.js')))
    .map((d) => d.name)
    .sort();
}


export async function main(argv: string[]): Promise<number> {
  const available = discoverSuites();
  const unknown = argv.filter((a) => !available.includes(a));
  if (unknown.length) {
    process.stderr.write(`bench: unknown suite(s) ${unknown.join(', ')}; available: ${available.join(', ') || 'none'}\n`);
    return 2;
  }
  const selected = argv.length ? argv : available;
  mkdirSync(resultsDir, { recursive: true });
  let failed = 0;
  for (const name of selected) {
    const mod = (await import(pathToFileURL(join(here, name, 'index.js')).href)) as { run?: () => Promise<object> };
    if (typeof mod.run !== 'function') {
      process.stderr.write(`bench: ${name}/index.js exports no run(); skipped\n`);
      failed += 1;
      continue;
    }
    process.stderr.write(`bench: running ${name}...\n`);
    const started = new Date();
    const before = machineBefore();
    try {
      const result = await mod.run();
      const file = join(resultsDir, `${name}.json`);
      const doc = { ...result, meta: runMeta(started, name, before) };
      writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
      process.stdout.write(`${JSON.stringify({ [name]: result }, null, 2)}\n`);
      process.stderr.write(`bench: ${name} done in ${((Date.now() - started.getTime()) / 1000).toFixed(1)}s -> ${file}\n`);
      // A suite that could not measure a row it must report (a missing baseline) says so in
      // its results and fails the run; the row is not silently left out.
      const incomplete = (result as { incomplete?: unknown }).incomplete;
      if (Array.isArray(incomplete) && incomplete.length > 0) {
        failed += 1;
        for (const why of incomplete) process.stderr.write(`bench: ${name} incomplete: ${String(why)}\n`);
      }
    } catch (err) {
      failed += 1;
      process.stderr.write(`bench: ${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
  }
  // The docs' tables are rendered from the results files, never typed by hand.
  const changed = updateDocs({ resultsDir, write: true });
  process.stderr.write(`bench: tables updated in ${changed.map((f) => f.slice(repo.length + 1)).join(', ') || 'no doc'}\n`);
  return failed ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // Ctrl-C during a run: exit through process.exit so that the agent emulator's 'exit'
  // hooks stop the executors it spawned (they take their tasks down with them).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}, stopping\n`);
      process.exit(130);
    });
  }
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
