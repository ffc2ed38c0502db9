// The README's benchmark tables come from results files, never from hand-typed figures.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderBenchmarks, replaceSection } from '../../bench/report.js';

t.test('tables show the figures of the results files, and "–" where there are none', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'executor.json'),
    JSON.stringify({
      launchToRunning: { executor: { p50Ms: 4.5, p99Ms: 9, samples: 200 }, directSpawn: { p50Ms: 2, p99Ms: 4 }, ratioP50: 2.25, ratioP99: 2.25, overheadP50Ms: 2.5, met: true },
      coldStartToSubscribe: { medianMs: 180, nodeStartupMedianMs: 60, met: false },
      rss: { subscribedIdleMiB: 50, oneTaskMiB: 51, manyTasks: 100, manyTasksMiB: 55.5, met: true },
      meta: { started: '2026-01-02T03:04:05.000Z', node: 'v20.0.0', cpus: 2, cpuModel: 'X' },
    }),
  );
  const md = renderBenchmarks(dir);
  t.match(md, 'measured 2026-01-02 03:04 UTC, Node v20.0.0, 2 × X; 200 launches');
  t.match(md, '| launch overhead p50 (executor − direct) | 2.50 ms | < 5 ms | met |');
  t.match(md, '| cold start → first SUBSCRIBE (median) | 180 ms (bare `node -e 0`: 60 ms) | < 150 ms | **not met** |');
  t.match(md, '| executor RSS, 100 running tasks | 55.5 MiB | < 60 MB | met |');
  t.match(md, '**Checks (`bench/checks`, no results yet: run `make bench`)**');
  t.match(md, '| CPU per HTTP probe | – in-process vs – forking curl (×–) | ≥ 40× less | – |');
});

t.test('replaceSection swaps only the marked part and refuses a file without markers', async (t) => {
  const text = 'intro\n<!-- bench:begin -->\nold\n<!-- bench:end -->\noutro\n';
  t.equal(replaceSection(text, 'new'), 'intro\n<!-- bench:begin -->\nnew\n<!-- bench:end -->\noutro\n');
  t.throws(() => replaceSection('no markers', 'x'), { message: /no <!-- bench:begin --> … <!-- bench:end --> section/ });
});
