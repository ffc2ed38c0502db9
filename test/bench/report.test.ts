// The docs' benchmark tables come from results files, never from hand-typed figures.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderBenchmarks, renderDoc, renderSection, replaceSection, sectionsOf } from '../../bench/report.js';

t.test('tables show the figures of the results files, and "–" where there are none', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'executor.json'),
    JSON.stringify({
      launchToRunning: { executor: { p50Ms: 4.5, p99Ms: 9, samples: 200 }, directSpawn: { p50Ms: 2, p99Ms: 4 }, ratioP50: 2.25, ratioP99: 2.25, overheadP50Ms: 2.5, met: true },
      coldStartToSubscribe: { medianMs: 180, nodeStartupMedianMs: 60, overNodeMs: 120, targetOverNodeMs: 40, met: false },
      rss: { subscribedIdleMiB: 50, oneTaskMiB: 51, manyTasks: 100, manyTasksMiB: 55.5, met: true },
      meta: { started: '2026-01-02T03:04:05.000Z', node: 'v20.0.0', cpus: 2, cpuModel: 'X' },
    }),
  );
  const md = renderBenchmarks(dir);
  t.match(md, 'measured 2026-01-02 03:04 UTC, Node v20.0.0, 2 × X; 200 launches');
  t.match(md, '| launch overhead p50 (executor − direct) | 2.50 ms | < 5 ms | met |');
  t.match(md, '| cold start → first SUBSCRIBE (median) | 180 ms (bare `node -e 0`: 60 ms, +120 ms) | < +40 ms over `node -e 0` | **not met** |');
  t.match(md, '| executor RSS, 100 running tasks | 55.5 MiB | < 60 MB | met |');
  t.match(md, '**Checks (`bench/checks`, no results yet: run `make bench`)**');
  t.match(md, '| CPU per HTTP probe | – in-process vs – forking curl (×–) | ≥ –× less | – |');
  t.notMatch(md, 'stolen', 'results without a steal figure claim none');
});

t.test('the heading says how much CPU time the hypervisor took while the suite ran', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'executor.json'), JSON.stringify({ meta: { started: '2026-01-02T03:04:05.000Z', node: 'v20.0.0', cpus: 2, cpuModel: 'X', loadAverage: { before: [0.5], after: [0.7] }, stealShare: 0.372 } }));
  t.match(renderBenchmarks(dir), 'measured 2026-01-02 03:04 UTC, Node v20.0.0, 2 × X, load 0.5 before / 0.7 after, 37.2 % of CPU time stolen by the hypervisor');
});

t.test('the isolation rows (issue 10) appear once executor.json has an isolation block, and say when the executor did not isolate', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const base = { launchToRunning: { executor: { p50Ms: 4.5, samples: 200 } }, meta: { started: '2026-01-02T03:04:05.000Z' } };
  const isolation = (reported: string | null, met: boolean) => ({
    isolation: 'namespaces,cgroups',
    launchToRunning: { isolated: { p50Ms: 12.5, p99Ms: 20 }, none: { p50Ms: 5, p99Ms: 9 }, directSpawn: { p50Ms: 2, p99Ms: 4 }, overheadP50Ms: 7.5, met, reported: { isolated: reported, none: 'none' } },
    containerizerLaunch: { isolated: { p50Ms: 9.5 }, none: { p50Ms: 3.25 } },
    rss: { tasks: 100, executorMiB: 58.2, met },
  });
  writeFileSync(join(dir, 'executor.json'), JSON.stringify(base));
  t.notMatch(renderBenchmarks(dir), /isolation overhead|isolated tasks|TASK_RUNNING p50, isolation/, 'results without it: no isolation rows (no placeholders)');
  writeFileSync(join(dir, 'executor.json'), JSON.stringify({ ...base, isolation: isolation('namespaces,cgroups', true) }));
  const md = renderBenchmarks(dir);
  t.match(md, '| LAUNCH → TASK_RUNNING p50, isolation namespaces,cgroups | 12.50 ms (`none` 5.00 ms, direct spawn 2.00 ms) |  |  |');
  t.match(md, '| isolation overhead p50 (isolated − none) | 7.50 ms | < 10 ms | met |');
  t.match(md, '| `Containerizer.launch()` p50, isolated / none | 9.50 ms / 3.25 ms |  |  |');
  t.match(md, '| executor RSS, 100 isolated tasks | 58.2 MiB | < 64 MiB | met |');
  // input: a run whose executor sent no isolation label → the row says so, the verdict is not met
  writeFileSync(join(dir, 'executor.json'), JSON.stringify({ ...base, isolation: isolation(null, false) }));
  const unwired = renderBenchmarks(dir);
  t.match(unwired, '(the executor reported no isolation label: both executors timed the same path)');
  t.match(unwired, '| isolation overhead p50 (isolated − none) | 7.50 ms | < 10 ms | **not met** |');
});

t.test('replaceSection swaps only the named part and refuses a file without its markers', async (t) => {
  const text = 'intro\n<!-- bench:begin summary -->\nold\n<!-- bench:end summary -->\noutro\n';
  t.equal(replaceSection(text, 'summary', 'new'), 'intro\n<!-- bench:begin summary -->\nnew\n<!-- bench:end summary -->\noutro\n');
  t.throws(() => replaceSection('no markers', 'summary', 'x'), { message: /no <!-- bench:begin summary --> … <!-- bench:end summary --> section/ });
});

t.test('sectionsOf names the marked sections and refuses unpaired or nested markers', async (t) => {
  t.same(sectionsOf('a <!-- bench:begin x --> b <!-- bench:end x --> c <!-- bench:begin y-2 --><!-- bench:end y-2 -->'), ['x', 'y-2']);
  const cases: Array<[string, RegExp]> = [
    ['<!-- bench:begin x -->', /<!-- bench:begin x --> without its <!-- bench:end x -->/],
    ['<!-- bench:end x -->', /<!-- bench:end x --> without its <!-- bench:begin x -->/],
    ['<!-- bench:begin x --><!-- bench:begin y --><!-- bench:end y --><!-- bench:end x -->', /<!-- bench:begin y --> inside section 'x'/],
    ['<!-- bench:begin x --><!-- bench:end y -->', /<!-- bench:end y --> without its <!-- bench:begin y -->/],
  ];
  for (const [text, message] of cases) t.throws(() => sectionsOf(text), { message }, text);
});

t.test('renderDoc rewrites every marked section and names an unknown one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const doc = 'x\n<!-- bench:begin switchboard-cost -->\nstale 693 MiB/s\n<!-- bench:end switchboard-cost -->\ny\n';
  const out = renderDoc(doc, dir);
  t.notMatch(out, 'stale');
  t.match(out, /^x\n<!-- bench:begin switchboard-cost -->\nResults of the committed run \(`bench\/results\/switchboard.json`, no results yet: run `make bench`\):\n/);
  t.match(out, '\n<!-- bench:end switchboard-cost -->\ny\n');
  t.equal(renderDoc(out, dir), out, 'rendering is idempotent');
  t.throws(() => renderDoc('<!-- bench:begin nosuch --><!-- bench:end nosuch -->', dir), { message: /unknown bench section 'nosuch' \(known: summary, robustness, range, checks-cost, switchboard-cost, session-start\)/ });
});

t.test('the robustness suites get their tables once their files exist, with verdicts from what must not happen', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(renderSection('robustness', dir), '', 'absent files: no table');
  const meta = { started: '2026-01-02T03:04:05.000Z', node: 'v20.0.0', cpus: 2, cpuModel: 'X' };
  const run = { restarts: 100, tasks: 170, updates: 1200, resentUnacknowledged: 500, lost: 0, duplicatedAfterAck: 0, outOfOrder: 0 };
  writeFileSync(join(dir, 'soak.json'), JSON.stringify({ meta, figures: { json: run, protobuf: { ...run, lost: 1 } } }));
  writeFileSync(join(dir, 'load-tasks.json'), JSON.stringify({ meta, figures: { p99DelayBoundMs: 50, rounds: [{ tasks: 1000, eventLoopDelayP99Ms: 18 }, { tasks: 5000, eventLoopDelayP99Ms: 57 }] } }));
  const md = renderSection('robustness', dir);
  t.match(md, '**Soak (`make soak`, `bench/results/soak.json`, measured 2026-01-02 03:04 UTC, Node v20.0.0, 2 × X)**');
  t.match(md, /\(json\) \| 100 restarts, 170 tasks, 1,200 updates \(500 resent\): 0 lost, 0 duplicated after ack, 0 out of order \| 0 lost, 0 duplicated, order kept \| met \|/);
  t.match(md, /\(protobuf\) \| .*: 1 lost, .* \| \*\*not met\*\* \|/, 'one lost update is not met');
  t.match(md, /1,000 tasks launched, then killed \| .* \| p99 < 50 ms \| met \|/);
  t.match(md, /5,000 tasks launched, then killed \| .* \| p99 < 50 ms \| \*\*not met\*\* \|/, 'a p99 over its bound is not met');
  t.notMatch(md, /Fuzz|Churn|switchboard/);
  writeFileSync(join(dir, 'fuzz.json'), '{"meta": {');
  t.throws(() => renderSection('robustness', dir), { message: /fuzz\.json is not JSON \(.*\); rerun its suite or restore it from git/ }, 'a truncated results file is named');
});

t.test('the session-start table shows the three ways with their ratios, or why the isolated one was not measured', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const summary = (p50Ms: number) => ({ samples: 4, p50Ms, p99Ms: p50Ms * 2, meanMs: p50Ms, minMs: p50Ms, maxMs: p50Ms * 2 });
  const write = (sessionStart: object) => writeFileSync(join(dir, 'switchboard.json'), JSON.stringify({ sessionStart, meta: { started: '2026-01-02T03:04:05.000Z', node: 'v20.0.0' } }));
  write({
    sessions: 4, command: 'echo x', directSpawn: summary(2), withoutIsolation: { ...summary(3), ratioP50ToDirect: 1.5 },
    joiningNamespaces: { ...summary(8), isolation: 'namespaces,cgroups', ratioP50ToDirect: 4, ratioP50ToWithoutIsolation: 2.67 },
  });
  let md = renderSection('session-start', dir);
  t.match(md, 'first output byte of `echo x` (`bench/results/switchboard.json`, measured 2026-01-02 03:04 UTC, Node v20.0.0; 4 interleaved rounds)');
  t.match(md, '| direct spawn of the same command (this process, a pipe) | p50 2.00 ms, p99 4.00 ms | 1× |');
  t.match(md, '| session of a task without a container (no isolation) | p50 3.00 ms, p99 6.00 ms | ×1.50 |');
  t.match(md, '| session joining a task container (namespaces,cgroups) | p50 8.00 ms, p99 16.00 ms | ×4.00 (×2.67 of no isolation) |');
  write({ sessions: 4, command: 'echo x', directSpawn: summary(2), withoutIsolation: { ...summary(3), ratioP50ToDirect: 1.5 }, unavailable: 'auto: not running as root' });
  md = renderSection('session-start', dir);
  t.match(md, '| session joining a task container (namespaces,cgroups) | not measured: auto: not running as root | ×– (×– of no isolation) |');
});

t.test('switchboard-cost shows the WebSocket keystroke row only once a run measured it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const write = (extra: object) => writeFileSync(join(dir, 'switchboard.json'), JSON.stringify({ ...extra, meta: { started: '2026-01-02T03:04:05.000Z', node: 'v20.0.0' } }));
  write({});
  t.notMatch(renderSection('switchboard-cost', dir), 'WebSocket gateway');
  write({ wsKeystroke: { keystrokes: 1000, websocket: { p50Ms: 0.15, p99Ms: 0.9 }, httpSession: { p50Ms: 0.3, p99Ms: 1.8 }, p50RatioToHttp: 0.5, p99RatioToHttp: 0.5 } });
  t.match(renderSection('switchboard-cost', dir), 'keystroke round trip, WebSocket gateway vs HTTP session, 1000 keys each, same run | p50 0.150 ms, p99 0.900 ms vs p50 0.300 ms, p99 1.800 ms (×0.50 p50, ×0.50 p99) |');
});

t.test('the switchboard rows show the range over the rounds and say met only when every round met its target', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const summary = (p50Ms: number, p99Ms: number) => ({ samples: 1000, p50Ms, p99Ms, meanMs: p50Ms, minMs: p50Ms, maxMs: p99Ms });
  const write = (ratios: number[], p99s: number[]) =>
    writeFileSync(join(dir, 'switchboard.json'), JSON.stringify({
      throughput: {
        rounds: ratios.map((ratioToDirect) => ({ ratioToDirect, met: ratioToDirect >= 0.6, loadAverage1m: 0.1 })), switchboardMiBps: 800, directPipeMiBps: 1200, ratioToDirect: 0.667,
        ratioToDirectRange: { min: Math.min(...ratios), max: Math.max(...ratios) }, roundsMet: ratios.filter((x) => x >= 0.6).length, unixSocketMiBps: 700, unixSocketRatioToDirect: 0.58,
        target: 'switchboard (loopback TCP) >= 0.6 x direct pipe in every one of 5 rounds',
      },
      keystrokeRoundTrip: {
        keystrokes: 1000, rounds: p99s.map((p99) => ({ localPty: summary(0.04, 0.7), switchboard: summary(0.19, p99), met: p99 < 1.5 })), localPty: summary(0.04, 0.7), switchboard: summary(0.19, 1.2),
        switchboardP99MsRange: { min: Math.min(...p99s), max: Math.max(...p99s) }, localPtyP99MsRange: { min: 0.6, max: 0.8 }, roundsMet: p99s.filter((x) => x < 1.5).length,
        target: 'switchboard p99 < 1.5 ms in every one of 5 rounds',
      },
      targetsMet: { throughput: ratios.every((x) => x >= 0.6), keystrokeP99: p99s.every((x) => x < 1.5), memoryPerSession: true },
      meta: { started: '2026-01-02T03:04:05.000Z', node: 'v20.0.0' },
    }));
  write([0.61, 0.66, 0.7, 0.64, 0.65], [1.1, 1.2, 1.3, 1.25, 1.4]);
  let md = renderSection('summary', dir);
  t.match(md, '| exec output throughput (non-TTY, 1 GiB) | 800 MiB/s vs 1200 MiB/s direct pipe (×0.61–0.70 over 5 rounds) | ≥ 0.6× direct, every round | met |');
  t.match(md, '| keystroke round trip p50 / p99 (TTY) | 0.19 ms / 1.20 ms, p99 1.10–1.40 ms over 5 rounds (local PTY 0.04 ms / 0.70 ms) | p99 < 1.5 ms, every round | met |');
  const cost = renderSection('switchboard-cost', dir);
  t.match(cost, '(×0.667, rounds ×0.610–0.700, 5 of 5 rounds met); unix socket 700 MiB/s (×0.580)');
  t.match(cost, "rounds' p99 1.100–1.400 ms, 5 of 5 rounds met");
  // One round short of the target is not met, however good the median.
  write([0.59, 0.66, 0.7, 0.64, 0.65], [1.1, 1.2, 1.6, 1.25, 1.4]);
  md = renderSection('summary', dir);
  t.match(md, '(×0.59–0.70 over 5 rounds) | ≥ 0.6× direct, every round | **not met** |');
  t.match(md, 'p99 1.10–1.60 ms over 5 rounds (local PTY 0.04 ms / 0.70 ms) | p99 < 1.5 ms, every round | **not met** |');
  t.match(renderSection('switchboard-cost', dir), '4 of 5 rounds met');
});

t.test("the throughput row says how much of the machine went unused while each reader read, once the results have it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const write = (extra: object) =>
    writeFileSync(join(dir, 'switchboard.json'), JSON.stringify({ throughput: { rounds: [], switchboardMiBps: 1000, directPipeMiBps: 1600, ...extra }, meta: { started: '2026-01-02T03:04:05.000Z', node: 'v20.0.0' } }));
  write({});
  t.notMatch(renderSection('switchboard-cost', dir), 'left unused', 'older results render as they did');
  write({ machineIdleShare: { directPipe: 0.081, directPipeRange: { min: 0.05, max: 0.12 }, switchboard: 0.27, switchboardRange: { min: 0.2, max: 0.312 } } });
  t.match(renderSection('switchboard-cost', dir), "the machine's CPU time left unused while the session ran 27 % (rounds 20–31.2 %), while the direct pipe ran 8.1 % (rounds 5–12 %)");
});

t.test('the keystroke rows say which first sessions were left out of the rounds, and whether V8 had done compiling by then', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const summary = (p99Ms: number) => ({ samples: 1000, p50Ms: 0.3, p99Ms, meanMs: 0.3, minMs: 0.2, maxMs: p99Ms });
  const write = (firstSessionsCompiled: boolean | undefined) =>
    writeFileSync(join(dir, 'switchboard.json'), JSON.stringify({
      keystrokeRoundTrip: {
        keystrokes: 1000, rounds: [{ localPty: summary(0.3), switchboard: summary(0.5), met: true }], localPty: summary(0.3), switchboard: summary(0.5),
        switchboardP99MsRange: { min: 0.5, max: 0.5 }, localPtyP99MsRange: { min: 0.3, max: 0.3 }, roundsMet: 1,
        target: 'switchboard p99 < 1.5 ms in every one of 1 rounds',
        firstSessions: [{ ...summary(3.6), serverV8HelperCpuMs: 190 }, { ...summary(0.8), serverV8HelperCpuMs: 10 }],
        ...(firstSessionsCompiled === undefined ? {} : { firstSessionsCompiled }),
      },
      targetsMet: { keystrokeP99: true },
      meta: { started: '2026-01-02T03:04:05.000Z', node: 'v20.0.0' },
    }));
  write(true);
  let md = renderSection('summary', dir);
  t.match(md, "p99 of the switchboard's first 2 TTY sessions (not judged) 3.60, 0.80 ms");
  t.match(md, "p99 < 1.5 ms, every round after the switchboard's first 2 sessions (V8 done compiling its TTY path) | met |");
  write(false);
  t.match(renderSection('summary', dir), "after the switchboard's first 2 sessions (V8 still compiling its TTY path)", 'the cap reached is said');
  write(undefined);
  md = renderSection('summary', dir);
  t.match(md, "every round after the switchboard's first 2 sessions | met |", 'older results render as they did');
});

t.test('the system-call floor rows appear once checks.json has them, with no target and no verdict', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const write = (cpuPerProbe: object) => writeFileSync(join(dir, 'checks.json'), JSON.stringify({ cpuPerProbe, meta: { started: '2026-01-02T03:04:05.000Z', node: 'v20.0.0' } }));
  write({ http: { inProcess: { cpuMsPerProbe: 0.114 } } });
  t.notMatch(renderBenchmarks(dir), 'system-call floor', 'results from before the floor render as they did');
  write({
    http: { inProcess: { cpuMsPerProbe: 0.114 }, versusSyscallFloor: { floor: { cpuMsPerProbe: 0.0601 }, cpuRatio: 1.9 } },
    tcp: { inProcess: { cpuMsPerProbe: 0.045 }, versusSyscallFloor: { floor: { cpuMsPerProbe: 0.0228 }, cpuRatio: 1.97 } },
  });
  const md = renderBenchmarks(dir);
  t.match(md, '| … vs the system-call floor (C, same run) | 0.060 ms floor (ours ×1.90) |  |  |');
  t.match(md, '| … vs the system-call floor (C, same run) | 0.023 ms floor (ours ×1.97) |  |  |');
  const cost = renderSection('checks-cost', dir);
  t.match(cost, '| CPU per HTTP probe vs the system-call floor | 0.114 ms | floor 0.060 ms | 1.90× | – | – |');
  t.match(cost, '| CPU per TCP probe vs the system-call floor | 0.045 ms | floor 0.023 ms | 1.97× | – | – |');
});

t.test('a load scenario that fell behind its rate is judged at the rate it was asked for, and the row says so', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const agentScale = { tasks: 10000, intervalSeconds: 1, probesPerSecond: 8691, cpuShareOfOneCore: 0.961, cpuMsPerProbe: 0.111, targets: { cpuShareOfOneCore: 1, p99LatenessMs: 50 }, lateness: { p99Ms: 261 } };
  const write = (extra: object) => writeFileSync(join(dir, 'checks.json'), JSON.stringify({ agentScale: { ...agentScale, ...extra }, meta: { started: '2026-01-02T03:04:05.000Z', node: 'v20.0.0' } }));
  write({ met: { cpu: true, lateness: false } });
  t.notMatch(renderBenchmarks(dir), 'probes/s asked', 'results from before the rule render as they did');
  write({ cpuShareAtNominalRate: 1.11, met: { cpu: false, lateness: false } });
  t.match(renderBenchmarks(dir), '| 10,000 tasks × 1 s HTTP health check: CPU | 0.961 of one core (8691.0 probes/s); 1.110 at the 10,000 probes/s asked (judged) | < 1 | **not met** |');
  t.match(renderSection('checks-cost', dir), '96.1 % of one core at 8691 probes/s (0.111 ms/probe, all included); 111 % at the 10,000 probes/s asked (judged)');
});

t.test('the load scenario has a row against the floor paced alike once checks.json has it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const write = (load: object) => writeFileSync(join(dir, 'checks.json'), JSON.stringify({ load, meta: { started: '2026-01-02T03:04:05.000Z', node: 'v20.0.0' } }));
  const load = { tasks: 1000, intervalSeconds: 1, cpuMsPerProbe: 0.137 };
  write(load);
  t.notMatch(renderSection('checks-cost', dir), 'paced alike', 'results from before the paced floor render as they did');
  write({ ...load, versusPacedFloor: { floor: { cpuMsPerProbe: 0.0612 }, batch: 10, everyMs: 10, cpuRatio: 2.24 } });
  t.match(renderSection('checks-cost', dir), '| … vs the system-call floor paced alike (10 probes every 10 ms) | 0.137 ms | floor 0.061 ms | 2.24× | – | – |');
});
