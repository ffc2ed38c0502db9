// Smoke test: the executor benchmark runs end to end with tiny N and yields sane figures.
// (The real run is `make bench`; this only proves it still works.)
import t from 'tap';
import { run } from '../../bench/executor/index.js';
import { LatencyHistogram, percentile, summarize } from '../../bench/stats.js';
import { discoverSuites, main as benchMain } from '../../bench/run.js';

t.test('percentile is nearest-rank and rejects bad input', async (t) => {
  const xs = [5, 1, 4, 2, 3];
  t.equal(percentile(xs, 50), 3);
  t.equal(percentile(xs, 99), 5);
  t.equal(percentile(xs, 0), 1);
  t.throws(() => percentile([], 50), RangeError);
  t.throws(() => percentile(xs, 101), { message: /p must be within 0\.\.100, got 101/ });
  t.same(summarize([1, 2, 3]), { samples: 3, p50Ms: 2, p99Ms: 3, meanMs: 2, minMs: 1, maxMs: 3 });
});

t.test('bench/run discovers the executor suite by directory, and refuses an unknown suite with exit 2', async (t) => {
  t.ok(discoverSuites().includes('executor'));
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    t.equal(await benchMain(['no-such-suite']), 2);
  } finally {
    process.stderr.write = write;
  }
  t.match(stderr, /bench: unknown suite\(s\) no-such-suite; available: .*executor/);
});

t.test('bad options are refused before anything starts, naming the option', async (t) => {
  await t.rejects(run({ launches: 0 }), { name: 'RangeError', message: 'ExecutorBenchOptions.launches must be an integer >= 1, got 0' });
  await t.rejects(run({ manyTasks: 2.5 }), { message: /ExecutorBenchOptions\.manyTasks must be an integer >= 1, got 2\.5/ });
});

t.test('executor bench with tiny N', async (t) => {
  const r = await run({ launches: 3, warmup: 1, coldStarts: 1, manyTasks: 3 });
  t.equal(r.launchToRunning.executor.samples, 3);
  t.equal(r.launchToRunning.directSpawn.samples, 3);
  t.ok(r.launchToRunning.executor.p50Ms > 0, 'launch latency measured');
  t.ok(r.launchToRunning.directSpawn.p50Ms > 0, 'direct spawn measured');
  t.ok(r.launchToRunning.ratioP50 > 0);
  t.equal(r.coldStartToSubscribe.runs, 1);
  t.ok(r.coldStartToSubscribe.medianMs > 0);
  t.ok(r.coldStartToSubscribe.nodeStartupMedianMs > 0);
  t.equal(r.rss.manyTasks, 3);
  t.ok(r.rss.oneTaskMiB > 10 && r.rss.manyTasksMiB > 10, 'RSS of a node process is tens of MiB');
  // Isolation (issue 10): the three launch paths and the containerizer itself, same counts.
  const iso = r.isolation!;
  t.ok(iso.available, `this machine can isolate (the suite runs as root): ${iso.reason}`);
  for (const path of [iso.launchToRunning.isolated, iso.launchToRunning.none, iso.launchToRunning.directSpawn, iso.containerizerLaunch.isolated!, iso.containerizerLaunch.none]) {
    t.equal(path.samples, 3);
    t.ok(path.p50Ms > 0);
  }
  t.equal(iso.launchToRunning.reported.none === null || iso.launchToRunning.reported.none === 'none', true, 'the none executor never reports isolation');
  t.equal(iso.rss.tasks, 3);
  t.ok(iso.rss.executorMiB > 10);
});

t.test('LatencyHistogram: bounded memory, percentiles within a bucket of the exact ones, exact mean/min/max', async (t) => {
  // Table: samples -> what the histogram must say (bucket 0.1 ms below 100 ms, 1 ms to 10 s).
  const rows: Array<{ samples: number[]; p50: number; p99: number }> = [
    { samples: [0.05, 0.15, 0.25], p50: 0.2, p99: 0.25 },
    { samples: [1, 2, 3, 4, 5], p50: 3.1, p99: 5 },
    { samples: [99.95, 150.2, 20_000], p50: 151, p99: 20_000 },
  ];
  for (const row of rows) {
    const h = new LatencyHistogram();
    for (const x of row.samples) h.observe(x);
    const s = h.summary();
    t.equal(s.p50Ms, row.p50, `${row.samples}: p50`);
    t.equal(s.p99Ms, row.p99, `${row.samples}: p99`);
    t.equal(s.samples, row.samples.length);
    t.equal(s.maxMs, Math.max(...row.samples));
    t.equal(s.minMs, Math.min(...row.samples));
  }
  const h = new LatencyHistogram();
  const xs = Array.from({ length: 100_000 }, (_, i) => ((i * 7919) % 100_000) / 1000); // 0..100 ms
  for (const x of xs) h.observe(x);
  for (const p of [50, 90, 99, 99.9]) {
    const exact = percentile(xs, p);
    t.ok(h.percentile(p) >= exact && h.percentile(p) - exact <= 0.1 + 1e-9, `p${p}: ${h.percentile(p)} vs exact ${exact}`);
  }
  t.throws(() => new LatencyHistogram().summary(), RangeError, 'no samples: a RangeError, not NaN');
  t.throws(() => h.percentile(101), { message: /p must be within 0\.\.100, got 101/ });
});
