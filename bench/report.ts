// Renders bench/results/*.json as the figure tables of README.md and docs/*.md, so no doc
// shows figures that no run produced. A doc marks each rendered part as
//   <!-- bench:begin NAME --> … <!-- bench:end NAME -->
// where NAME is a section of TABLES below; `make docs` (`node dist/bench/report.js
// --update`) rewrites every marked part, `--check` lists the docs that differ from what
// the results render (test/bench/docs.test.ts fails on those), and without flags the
// README's section is printed. A results file that is absent, or lacks a figure, shows
// "–"; an optional table (the robustness suites) is left out until its file exists.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

type Doc = Record<string, unknown>;

/** A figure from a nested path, or undefined. */
function at(doc: Doc | undefined, path: string): unknown {
  let v: unknown = doc;
  for (const key of path.split('.')) v = v && typeof v === 'object' ? (v as Doc)[key] : undefined;
  return v;
}

function num(doc: Doc | undefined, path: string, unit = '', digits = 1): string {
  const v = at(doc, path);
  return typeof v === 'number' && Number.isFinite(v) ? `${v.toFixed(digits)}${unit}` : '–';
}

function verdict(met: unknown): string {
  return met === true ? 'met' : met === false ? '**not met**' : '–';
}

/** A number with at most `digits` decimals ("3.25", "952.4", "7"), for figures of unknown scale. */
function plain(v: number, digits = 3): string {
  return String(Number(v.toFixed(digits)));
}

/** An integer with thousands separators ("1,000"). */
function count(v: unknown): string {
  return typeof v === 'number' ? v.toLocaleString('en-US') : '?';
}

function load(resultsDir: string, suite: string): Doc | undefined {
  const file = join(resultsDir, `${suite}.json`);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Doc;
  } catch (err) {
    throw new Error(`${file} is not JSON (${(err as Error).message}); rerun its suite or restore it from git`);
  }
}

function measuredOn(doc: Doc | undefined): string {
  if (!doc) return 'no results yet: run `make bench`';
  const m = (doc.meta ?? {}) as Doc;
  const when = String(m.started ?? m.finished ?? '?').slice(0, 16).replace('T', ' ');
  const cpus = m.cpus !== undefined ? `, ${m.cpus} × ${m.cpuModel ?? 'CPU'}` : '';
  const load = at(m, 'loadAverage.before') as number[] | undefined;
  const after = at(m, 'loadAverage.after') as number[] | undefined;
  const loadText = Array.isArray(load) && Array.isArray(after) ? `, load ${load[0]} before / ${after[0]} after` : '';
  const steal = typeof m.stealShare === 'number' ? `, ${plain(m.stealShare * 100, 1)} % of CPU time stolen by the hypervisor` : '';
  return `measured ${when} UTC, Node ${m.node ?? '?'}${cpus}${loadText}${steal}`;
}

export function executorTable(r: Doc | undefined): string {
  const rows = [
    ['LAUNCH → TASK_RUNNING p50', `${num(r, 'launchToRunning.executor.p50Ms', ' ms', 2)} (direct spawn ${num(r, 'launchToRunning.directSpawn.p50Ms', ' ms', 2)}, ×${num(r, 'launchToRunning.ratioP50', '', 2)})`, 'overhead < 5 ms', ''],
    ['LAUNCH → TASK_RUNNING p99', `${num(r, 'launchToRunning.executor.p99Ms', ' ms', 2)} (direct spawn ${num(r, 'launchToRunning.directSpawn.p99Ms', ' ms', 2)}, ×${num(r, 'launchToRunning.ratioP99', '', 2)})`, '', ''],
    ['launch overhead p50 (executor − direct)', num(r, 'launchToRunning.overheadP50Ms', ' ms', 2), '< 5 ms', verdict(at(r, 'launchToRunning.met'))],
    ['cold start → first SUBSCRIBE (median)', `${num(r, 'coldStartToSubscribe.medianMs', ' ms', 0)} (bare \`node -e 0\`: ${num(r, 'coldStartToSubscribe.nodeStartupMedianMs', ' ms', 0)}, +${num(r, 'coldStartToSubscribe.overNodeMs', ' ms', 0)}${at(r, 'coldStartToSubscribe.withoutIsolation') ? `; without isolation +${num(r, 'coldStartToSubscribe.withoutIsolation.overNodeMs', ' ms', 0)}` : ''})`, at(r, 'coldStartToSubscribe.targetOverNodeMs') !== undefined ? `< +${at(r, 'coldStartToSubscribe.targetOverNodeMs')} ms over \`node -e 0\`` : '< 150 ms', verdict(at(r, 'coldStartToSubscribe.met'))],
    ['executor RSS, subscribed, idle', num(r, 'rss.subscribedIdleMiB', ' MiB'), '', ''],
    ['executor RSS, 1 running task', num(r, 'rss.oneTaskMiB', ' MiB'), '', ''],
    [`executor RSS, ${at(r, 'rss.manyTasks') ?? 100} running tasks`, num(r, 'rss.manyTasksMiB', ' MiB'), '< 60 MB', verdict(at(r, 'rss.met'))],
    ...isolationRows(r),
  ];
  return table(`Executor (\`bench/executor\`, ${measuredOn(r)}; ${at(r, 'launchToRunning.executor.samples') ?? '?'} launches of \`/bin/true\` without isolation)`, rows);
}

/** Issue 10's rows, once a run measured them (results without `isolation` show none). */
function isolationRows(r: Doc | undefined): string[][] {
  if (!at(r, 'isolation')) return [];
  const wanted = String(at(r, 'isolation.isolation'));
  const reported = at(r, 'isolation.launchToRunning.reported.isolated');
  const note = reported === wanted ? '' : ` (the executor reported ${reported === null ? 'no isolation label' : `isolation ${String(reported)}`}: both executors timed the same path)`;
  const launch = (p: 'p50' | 'p99') =>
    `${num(r, `isolation.launchToRunning.isolated.${p}Ms`, ' ms', 2)} (\`none\` ${num(r, `isolation.launchToRunning.none.${p}Ms`, ' ms', 2)}, direct spawn ${num(r, `isolation.launchToRunning.directSpawn.${p}Ms`, ' ms', 2)})`;
  return [
    [`LAUNCH → TASK_RUNNING p50, isolation ${wanted}`, `${launch('p50')}${note}`, '', ''],
    [`LAUNCH → TASK_RUNNING p99, isolation ${wanted}`, launch('p99'), '', ''],
    ['isolation overhead p50 (isolated − none)', num(r, 'isolation.launchToRunning.overheadP50Ms', ' ms', 2), '< 10 ms', verdict(at(r, 'isolation.launchToRunning.met'))],
    ['`Containerizer.launch()` p50, isolated / none', `${num(r, 'isolation.containerizerLaunch.isolated.p50Ms', ' ms', 2)} / ${num(r, 'isolation.containerizerLaunch.none.p50Ms', ' ms', 2)}`, '', ''],
    [`executor RSS, ${at(r, 'isolation.rss.tasks') ?? 100} isolated tasks`, num(r, 'isolation.rss.executorMiB', ' MiB'), '< 64 MiB', verdict(at(r, 'isolation.rss.met'))],
  ];
}

// The system-call floor has no target: it says how much of ours is the kernel's. Only
// results measured with it have the rows.
function floorRow(r: Doc | undefined, kind: 'http' | 'tcp'): string[][] {
  const path = `cpuPerProbe.${kind}.versusSyscallFloor`;
  if (at(r, path) === undefined) return [];
  return [['… vs the system-call floor (C, same run)', `${num(r, `${path}.floor.cpuMsPerProbe`, ' ms', 3)} floor (ours ×${num(r, `${path}.cpuRatio`, '', 2)})`, '', '']];
}

function floorCostRow(r: Doc | undefined, kind: 'http' | 'tcp', name: string): string[][] {
  const path = `cpuPerProbe.${kind}.versusSyscallFloor`;
  if (at(r, path) === undefined) return [];
  return [[`CPU per ${name} probe vs the system-call floor`, num(r, `cpuPerProbe.${kind}.inProcess.cpuMsPerProbe`, ' ms', 3), `floor ${num(r, `${path}.floor.cpuMsPerProbe`, ' ms', 3)}`, num(r, `${path}.cpuRatio`, '×', 2), '–', '–']];
}

export function checksTable(r: Doc | undefined): string {
  const rows = [
    ['CPU per HTTP probe', `${num(r, 'cpuPerProbe.http.inProcess.cpuMsPerProbe', ' ms', 3)} in-process vs ${num(r, 'cpuPerProbe.http.forkedCurl.cpuMsPerProbe', ' ms', 2)} forking curl (×${num(r, 'cpuPerProbe.http.cpuRatio')})`, `≥ ${at(r, 'cpuPerProbe.http.target') ?? '–'}× less`, verdict(at(r, 'cpuPerProbe.http.met'))],
    ['… vs kubelet\'s way (Go net/http, same run)', `${num(r, 'cpuPerProbe.http.versusKubelet.kubelet.cpuMsPerProbe', ' ms', 3)} kubelet (ours ×${num(r, 'cpuPerProbe.http.versusKubelet.cpuRatio', '', 2)})`, `≤ ${at(r, 'cpuPerProbe.http.versusKubelet.target') ?? '–'}×`, verdict(at(r, 'cpuPerProbe.http.versusKubelet.met'))],
    ...floorRow(r, 'http'),
    ['CPU per TCP probe', `${num(r, 'cpuPerProbe.tcp.inProcess.cpuMsPerProbe', ' ms', 3)} in-process vs ${num(r, 'cpuPerProbe.tcp.forkedHelper.cpuMsPerProbe', ' ms', 2)} forked helper (×${num(r, 'cpuPerProbe.tcp.cpuRatio')})`, '', ''],
    ['… vs kubelet\'s way (Go net.Dial, same run)', `${num(r, 'cpuPerProbe.tcp.versusKubelet.kubelet.cpuMsPerProbe', ' ms', 3)} kubelet (ours ×${num(r, 'cpuPerProbe.tcp.versusKubelet.cpuRatio', '', 2)})`, `≤ ${at(r, 'cpuPerProbe.tcp.versusKubelet.target') ?? '–'}×`, verdict(at(r, 'cpuPerProbe.tcp.versusKubelet.met'))],
    ...floorRow(r, 'tcp'),
    ...['load', 'agentScale'].flatMap((k) => at(r, k) === undefined && k !== 'load' ? [] : [
      [`${count(at(r, `${k}.tasks`))} tasks × ${at(r, `${k}.intervalSeconds`) ?? '?'} s HTTP health check: CPU`, `${num(r, `${k}.cpuShareOfOneCore`, '', 3)} of one core (${num(r, `${k}.probesPerSecond`, ' probes/s')})${atNominalRate(r, k, (x) => x.toFixed(3))}`, `< ${at(r, `${k}.targets.cpuShareOfOneCore`) ?? '–'}`, verdict(at(r, `${k}.met.cpu`))],
      ['… probe lateness p99', num(r, `${k}.lateness.p99Ms`, ' ms'), `< ${at(r, `${k}.targets.p99LatenessMs`) ?? '–'} ms`, verdict(at(r, `${k}.met.lateness`))],
      ...(at(r, `${k}.targets.rssMiB`) !== undefined ? [['… RSS of the process holding the checks', num(r, `${k}.rssMiB`, ' MiB'), `< ${at(r, `${k}.targets.rssMiB`)} MiB`, verdict(at(r, `${k}.met.rss`))]] : []),
    ]),
  ];
  return table(`Checks (\`bench/checks\`, ${measuredOn(r)})`, rows);
}

/** `min–max` of a {min, max} figure, each end written by `format`. */
function spanOf(r: Doc | undefined, path: string, format: (v: number) => string): string | undefined {
  const lo = at(r, `${path}.min`);
  const hi = at(r, `${path}.max`);
  return typeof lo === 'number' && typeof hi === 'number' ? `${format(lo)}–${format(hi)}` : undefined;
}

/** `min–max` of a {min, max} figure. */
function rangeOf(r: Doc | undefined, path: string, digits: number): string {
  return spanOf(r, path, (v) => v.toFixed(digits)) ?? '–';
}

/** A share (0..1) as `12.5 %`. */
function percent(v: unknown): string {
  return typeof v === 'number' ? `${plain(v * 100, 1)} %` : '–';
}

/** `min–max %` of a {min, max} share. */
function percentRangeOf(r: Doc | undefined, path: string): string {
  const span = spanOf(r, path, (v) => plain(v * 100, 1));
  return span === undefined ? '–' : `${span} %`;
}

/** How many rounds a section ran (`5 rounds`). */
function roundsOf(r: Doc | undefined, path: string): string {
  const rounds = at(r, `${path}.rounds`);
  return Array.isArray(rounds) ? `${rounds.length} rounds` : '? rounds';
}

/** `4 of 5 rounds met`. */
function metOf(r: Doc | undefined, path: string): string {
  const rounds = at(r, `${path}.rounds`);
  const met = at(r, `${path}.roundsMet`);
  return Array.isArray(rounds) && typeof met === 'number' ? `${met} of ${rounds.length} rounds met` : '–';
}

/** `; 1.110 at the 10,000 probes/s asked (judged)`: the CPU the scenario's rate costs, absent in older results. */
function atNominalRate(r: Doc | undefined, k: string, format: (x: number) => string): string {
  const share = at(r, `${k}.cpuShareAtNominalRate`);
  const tasks = at(r, `${k}.tasks`);
  const interval = at(r, `${k}.intervalSeconds`);
  if (typeof share !== 'number' || typeof tasks !== 'number' || typeof interval !== 'number') return '';
  return `; ${format(share)} at the ${count(tasks / interval)} probes/s asked (judged)`;
}

/** The switchboard's first TTY sessions, measured apart and not judged (absent in older results). */
function firstSessions(r: Doc | undefined): Array<{ p99Ms: number }> {
  const first = at(r, 'keystrokeRoundTrip.firstSessions');
  return Array.isArray(first) ? (first as Array<{ p99Ms: number }>) : [];
}

/** `; p99 of the switchboard's first 2 TTY sessions (not judged) 1.53, 0.73 ms`. */
function firstSessionsOf(r: Doc | undefined, digits: number): string {
  const first = firstSessions(r);
  return first.length === 0 ? '' : `; p99 of the switchboard's first ${first.length} TTY sessions (not judged) ${first.map((x) => x.p99Ms.toFixed(digits)).join(', ')} ms`;
}

/** ` after the switchboard's first 4 sessions (V8 done compiling its TTY path)`, the rounds the target judges. */
function afterFirstSessions(r: Doc | undefined): string {
  const n = firstSessions(r).length;
  const compiled = at(r, 'keystrokeRoundTrip.firstSessionsCompiled');
  const why = compiled === true ? ' (V8 done compiling its TTY path)' : compiled === false ? ' (V8 still compiling its TTY path)' : '';
  return n === 0 ? '' : ` after the switchboard's first ${n} sessions${why}`;
}

/** `; the server's first 3 sessions (not judged) 1016, 1290, 1283 MiB/s`, absent in older results. */
function firstOutputOf(r: Doc | undefined): string {
  const sessions = at(r, 'throughput.firstSessions') as Array<{ switchboardMiBps: number }> | undefined;
  if (Array.isArray(sessions)) {
    const compiled = at(r, 'throughput.firstSessionsCompiled');
    const why = compiled === true ? ', until V8 was done compiling its output path' : compiled === false ? ', V8 still compiling its output path after them' : '';
    return `; the server's first ${sessions.length} sessions (not judged${why}) ${sessions.map((x) => x.switchboardMiBps.toFixed(0)).join(', ')} MiB/s`;
  }
  const mibps = at(r, 'throughput.firstSession.switchboardTcpMiBps');
  return typeof mibps === 'number' ? `; the server's first session (not judged) ${mibps.toFixed(0)} MiB/s` : '';
}

/** What the throughput target leaves out: ` after the first session(s)`. */
function afterFirstOutput(r: Doc | undefined): string {
  if (Array.isArray(at(r, 'throughput.firstSessions'))) return ' after the first sessions';
  return at(r, 'throughput.firstSession') === undefined ? '' : ' after the first session';
}

/** The number in a result's own target sentence, so the tables never restate it by hand. */
function targetOf(r: Doc | undefined, path: string, pattern: RegExp): string {
  const target = at(r, path);
  return typeof target === 'string' ? (pattern.exec(target)?.[1] ?? '–') : '–';
}

export function switchboardTable(r: Doc | undefined): string {
  const rows = [
    ['exec output throughput (non-TTY, 1 GiB)', `${num(r, 'throughput.switchboardMiBps', ' MiB/s', 0)} vs ${num(r, 'throughput.directPipeMiBps', ' MiB/s', 0)} direct pipe (×${rangeOf(r, 'throughput.ratioToDirectRange', 2)} over ${roundsOf(r, 'throughput')})${at(r, 'throughput.relayFloorMiBps') === undefined ? '' : `; a C relay through loopback TCP keeps ×${rangeOf(r, 'throughput.relayFloorRatioToDirectRange', 2)} of it, ours ×${rangeOf(r, 'throughput.ratioToRelayFloorRange', 2)} of the relay`}${firstOutputOf(r)}`, `≥ ${targetOf(r, 'throughput.target', /([\d.]+) x direct/)}× direct, every round${afterFirstOutput(r)}`, verdict(at(r, 'targetsMet.throughput'))],
    ['keystroke round trip p50 / p99 (TTY)', `${num(r, 'keystrokeRoundTrip.switchboard.p50Ms', ' ms', 2)} / ${num(r, 'keystrokeRoundTrip.switchboard.p99Ms', ' ms', 2)}, p99 ${rangeOf(r, 'keystrokeRoundTrip.switchboardP99MsRange', 2)} ms over ${roundsOf(r, 'keystrokeRoundTrip')} (local PTY ${num(r, 'keystrokeRoundTrip.localPty.p50Ms', ' ms', 2)} / ${num(r, 'keystrokeRoundTrip.localPty.p99Ms', ' ms', 2)})${firstSessionsOf(r, 2)}`, `p99 < ${targetOf(r, 'keystrokeRoundTrip.target', /p99 < ([\d.]+) ms/)} ms, every round${afterFirstSessions(r)}`, verdict(at(r, 'targetsMet.keystrokeP99'))],
    [`memory per idle session (${at(r, 'idleSessionMemory.sessions') ?? 100} sessions)`, (() => { const b = at(r, 'idleSessionMemory.bytesPerSession'); return typeof b === 'number' ? `${(b / 1024).toFixed(0)} KiB` : '–'; })(), '< 1 MB', verdict(at(r, 'targetsMet.memoryPerSession'))],
  ];
  return table(`IO switchboard (\`bench/switchboard\`, ${measuredOn(r)})`, rows);
}

/** The detailed cost table of docs/checks.md (section 9). */
export function checksCostTable(r: Doc | undefined): string {
  const loadAvg = (at(r, 'machineLoadAverage') ?? {}) as { before?: number[]; after?: number[] };
  const loadNote = loadAvg.before?.[0] !== undefined && loadAvg.after?.[0] !== undefined ? `; 1-minute load average ${loadAvg.before[0]} → ${loadAvg.after[0]}` : '';
  const forked = (path: string, helper: string) => `${num(r, `${path}.cpuMsPerProbe`, ' ms', 3)} (${helper} ${num(r, `${path}.childCpuMsPerProbe`, '', 2)} + spawn ${num(r, `${path}.selfCpuMsPerProbe`, '', 2)})`;
  const rows = [
    ['CPU per HTTP probe', num(r, 'cpuPerProbe.http.inProcess.cpuMsPerProbe', ' ms', 3), forked('cpuPerProbe.http.forkedCurl', 'curl'), num(r, 'cpuPerProbe.http.cpuRatio', '×'), `≥ ${at(r, 'cpuPerProbe.http.target') ?? '–'}×`, verdict(at(r, 'cpuPerProbe.http.met'))],
    ['CPU per HTTP probe vs kubelet\'s way', num(r, 'cpuPerProbe.http.inProcess.cpuMsPerProbe', ' ms', 3), `kubelet ${num(r, 'cpuPerProbe.http.versusKubelet.kubelet.cpuMsPerProbe', ' ms', 3)}`, num(r, 'cpuPerProbe.http.versusKubelet.cpuRatio', '×', 2), `≤ ${at(r, 'cpuPerProbe.http.versusKubelet.target') ?? '–'}×`, verdict(at(r, 'cpuPerProbe.http.versusKubelet.met'))],
    ...floorCostRow(r, 'http', 'HTTP'),
    ['CPU per TCP probe', num(r, 'cpuPerProbe.tcp.inProcess.cpuMsPerProbe', ' ms', 3), forked('cpuPerProbe.tcp.forkedHelper', 'bash'), num(r, 'cpuPerProbe.tcp.cpuRatio', '×'), '–', '–'],
    ['CPU per TCP probe vs kubelet\'s way', num(r, 'cpuPerProbe.tcp.inProcess.cpuMsPerProbe', ' ms', 3), `kubelet ${num(r, 'cpuPerProbe.tcp.versusKubelet.kubelet.cpuMsPerProbe', ' ms', 3)}`, num(r, 'cpuPerProbe.tcp.versusKubelet.cpuRatio', '×', 2), `≤ ${at(r, 'cpuPerProbe.tcp.versusKubelet.target') ?? '–'}×`, verdict(at(r, 'cpuPerProbe.tcp.versusKubelet.met'))],
    ...floorCostRow(r, 'tcp', 'TCP'),
    ...['load', 'agentScale'].flatMap((k) => at(r, k) === undefined && k !== 'load' ? [] : [
      [`${count(at(r, `${k}.tasks`))} tasks × ${at(r, `${k}.intervalSeconds`) ?? '?'} s HTTP check: CPU`, `${percent(at(r, `${k}.cpuShareOfOneCore`))} of one core at ${num(r, `${k}.probesPerSecond`, ' probes/s', 0)} (${num(r, `${k}.cpuMsPerProbe`, ' ms', 3)}/probe, all included)${atNominalRate(r, k, percent)}`, '–', '–', `< ${percent(at(r, `${k}.targets.cpuShareOfOneCore`))}`, verdict(at(r, `${k}.met.cpu`))],
      ...(at(r, `${k}.versusPacedFloor`) === undefined ? [] : [[`… vs the system-call floor paced alike (${at(r, `${k}.versusPacedFloor.batch`)} probes every ${at(r, `${k}.versusPacedFloor.everyMs`)} ms)`, num(r, `${k}.cpuMsPerProbe`, ' ms', 3), `floor ${num(r, `${k}.versusPacedFloor.floor.cpuMsPerProbe`, ' ms', 3)}`, num(r, `${k}.versusPacedFloor.cpuRatio`, '×', 2), '–', '–']]),
      [`${count(at(r, `${k}.tasks`))} tasks × ${at(r, `${k}.intervalSeconds`) ?? '?'} s HTTP check: lateness`, `p50 ${num(r, `${k}.lateness.p50Ms`, ' ms', 2)}, p99 ${num(r, `${k}.lateness.p99Ms`, ' ms', 1)}, max ${num(r, `${k}.lateness.maxMs`, ' ms', 0)}`, '–', '–', `p99 < ${at(r, `${k}.targets.p99LatenessMs`) ?? '–'} ms`, verdict(at(r, `${k}.met.lateness`))],
    ]),
  ];
  return [
    `The committed run (\`bench/results/checks.json\`, ${measuredOn(r)}${loadNote}); all ${count(at(r, 'load.tasks'))} tasks are created at the same instant, the worst case for clustering:`,
    '',
    grid(['Measure', 'mesos-sidecar', 'Mesos way', 'Ratio', 'Target', 'Met'], rows),
  ].join('\n');
}

/** The detailed results table of docs/switchboard.md. */
export function switchboardCostTable(r: Doc | undefined): string {
  const rounds = (at(r, 'throughput.rounds') ?? []) as Array<{ loadAverage1m?: number }>;
  const loads = rounds.map((x) => x.loadAverage1m).filter((v): v is number => typeof v === 'number');
  const loadNote = loads.length ? `; 1-minute load average ${Math.min(...loads)}–${Math.max(...loads)} during the throughput rounds` : '';
  const bytes = at(r, 'idleSessionMemory.bytesPerSession');
  const sessions = at(r, 'idleSessionMemory.sessions') ?? '?';
  const latency = (path: string) => `p50 ${num(r, `${path}.p50Ms`, ' ms', 3)}, p99 ${num(r, `${path}.p99Ms`, ' ms', 3)}`;
  // Since sessions read real pipes (process/os-pipe.ts), so does the judged direct baseline.
  const realPipe = at(r, 'throughput.childProcessPipeMiBps') !== undefined;
  const rows = [
    [`exec output throughput, non-TTY \`head -c 1GiB /dev/zero\` (${roundsOf(r, 'throughput')} interleaved with the direct pipe; medians, and the range of the ratio)`, `${num(r, 'throughput.switchboardMiBps', ' MiB/s', 0)} vs ${num(r, 'throughput.directPipeMiBps', ' MiB/s', 0)} piped directly${realPipe ? ' (a pipe(2) read by Node, as `head … | node`)' : ''} (×${num(r, 'throughput.ratioToDirect', '', 3)}, rounds ×${rangeOf(r, 'throughput.ratioToDirectRange', 3)}, ${metOf(r, 'throughput')}); unix socket ${num(r, 'throughput.unixSocketMiBps', ' MiB/s', 0)} (×${num(r, 'throughput.unixSocketRatioToDirect', '', 3)})${realPipe ? `; not judged, against child_process' pipe (a socketpair) ${num(r, 'throughput.childProcessPipeMiBps', ' MiB/s', 0)} (×${num(r, 'throughput.ratioToChildProcessPipe', '', 3)})` : ''}${at(r, 'throughput.relayFloorMiBps') === undefined ? '' : `; the transport floor, a C program relaying the pipe into loopback TCP, read by Node: ${num(r, 'throughput.relayFloorMiBps', ' MiB/s', 0)} (×${num(r, 'throughput.relayFloorRatioToDirect', '', 3)} of the direct pipe, rounds ×${rangeOf(r, 'throughput.relayFloorRatioToDirectRange', 3)}; ours ×${num(r, 'throughput.ratioToRelayFloor', '', 3)} of it, rounds ×${rangeOf(r, 'throughput.ratioToRelayFloorRange', 3)})`}${at(r, 'throughput.machineIdleShare') === undefined ? '' : `; the machine's CPU time left unused while the session ran ${percent(at(r, 'throughput.machineIdleShare.switchboard'))} (rounds ${percentRangeOf(r, 'throughput.machineIdleShare.switchboardRange')}), while the direct pipe ran ${percent(at(r, 'throughput.machineIdleShare.directPipe'))} (rounds ${percentRangeOf(r, 'throughput.machineIdleShare.directPipeRange')})`}${at(r, 'throughput.directPipeReusedBuffersMiBps') === undefined ? '' : `; ${realPipe ? '' : 'not judged, '}against the pipe read into reused buffers as the switchboard reads it: ${num(r, 'throughput.directPipeReusedBuffersMiBps', ' MiB/s', 0)} (×${num(r, 'throughput.ratioToDirectReusedBuffers', '', 3)}, rounds ×${rangeOf(r, 'throughput.ratioToDirectReusedBuffersRange', 3)})`}${firstOutputOf(r)}`, `≥ ${targetOf(r, 'throughput.target', /([\d.]+) x direct/)}× direct in every round${afterFirstOutput(r)}`, verdict(at(r, 'targetsMet.throughput'))],
    [`keystroke round trip, TTY session, ${at(r, 'keystrokeRoundTrip.keystrokes') ?? '?'} keys × ${roundsOf(r, 'keystrokeRoundTrip')} (the median round)`, `${latency('keystrokeRoundTrip.switchboard')}, rounds' p99 ${rangeOf(r, 'keystrokeRoundTrip.switchboardP99MsRange', 3)} ms, ${metOf(r, 'keystrokeRoundTrip')} (local node-pty: ${latency('keystrokeRoundTrip.localPty')}, p99 ${rangeOf(r, 'keystrokeRoundTrip.localPtyP99MsRange', 3)} ms${at(r, 'keystrokeRoundTrip.tcpEchoP99MsRange') === undefined ? '' : `; the floor, a byte echoed by another process over loopback TCP: p99 ${rangeOf(r, 'keystrokeRoundTrip.tcpEchoP99MsRange', 3)} ms`})${firstSessionsOf(r, 3)}`, `p99 < ${targetOf(r, 'keystrokeRoundTrip.target', /p99 < ([\d.]+) ms/)} ms in every round${afterFirstSessions(r)}`, verdict(at(r, 'targetsMet.keystrokeP99'))],
    // Only once a run has it: results from before the gateway render as they did.
    ...(at(r, 'wsKeystroke') === undefined ? [] : [[`keystroke round trip, WebSocket gateway vs HTTP session, ${at(r, 'wsKeystroke.keystrokes') ?? '?'} keys each, same run`, `${latency('wsKeystroke.websocket')} vs ${latency('wsKeystroke.httpSession')} (×${num(r, 'wsKeystroke.p50RatioToHttp', '', 2)} p50, ×${num(r, 'wsKeystroke.p99RatioToHttp', '', 2)} p99)`, '–', '']]),
    [`memory per idle \`exec -it\` session (${sessions} sessions, RSS delta / ${sessions})`, typeof bytes === 'number' ? `${(bytes / 1024).toFixed(0)} KiB` : '–', '< 1 MiB', verdict(at(r, 'targetsMet.memoryPerSession'))],
  ];
  return [`Results of the committed run (\`bench/results/switchboard.json\`, ${measuredOn(r)}${loadNote}):`, '', grid(['What', 'Result', 'Target', ''], rows)].join('\n');
}

/** docs/switchboard.md: exec session start, with and without joining a task container. */
export function sessionStartTable(r: Doc | undefined): string {
  const latency = (path: string) => `p50 ${num(r, `${path}.p50Ms`, ' ms', 2)}, p99 ${num(r, `${path}.p99Ms`, ' ms', 2)}`;
  const unavailable = at(r, 'sessionStart.unavailable');
  const rows = [
    ['direct spawn of the same command (this process, a pipe)', latency('sessionStart.directSpawn'), '1×'],
    ['session of a task without a container (no isolation)', latency('sessionStart.withoutIsolation'), `×${num(r, 'sessionStart.withoutIsolation.ratioP50ToDirect', '', 2)}`],
    [
      `session joining a task container (${at(r, 'sessionStart.joiningNamespaces.isolation') ?? 'namespaces,cgroups'})`,
      typeof unavailable === 'string' ? `not measured: ${unavailable}` : latency('sessionStart.joiningNamespaces'),
      `×${num(r, 'sessionStart.joiningNamespaces.ratioP50ToDirect', '', 2)} (×${num(r, 'sessionStart.joiningNamespaces.ratioP50ToWithoutIsolation', '', 2)} of no isolation)`,
    ],
  ];
  const command = at(r, 'sessionStart.command') ?? 'echo x';
  return [
    `Session start, LAUNCH_NESTED_CONTAINER_SESSION → first output byte of \`${command}\` (\`bench/results/switchboard.json\`, ${measuredOn(r)}; ${at(r, 'sessionStart.sessions') ?? '?'} interleaved rounds):`,
    '',
    grid(['Session', 'LAUNCH → first byte', 'p50 ratio to direct'], rows),
  ].join('\n');
}

/** 0 → met, anything else → not met (the robustness suites count what must not happen). */
function none(...values: unknown[]): string {
  if (values.some((v) => typeof v !== 'number')) return '–';
  return verdict(values.every((v) => v === 0));
}

export function soakTable(r: Doc | undefined, suite: string): string {
  const rows = ['json', 'protobuf'].map((enc) => [
    `agent restarts with updates unacknowledged (${enc})`,
    `${count(at(r, `figures.${enc}.restarts`))} restarts, ${count(at(r, `figures.${enc}.tasks`))} tasks, ${count(at(r, `figures.${enc}.updates`))} updates (${count(at(r, `figures.${enc}.resentUnacknowledged`))} resent): ${count(at(r, `figures.${enc}.lost`))} lost, ${count(at(r, `figures.${enc}.duplicatedAfterAck`))} duplicated after ack, ${count(at(r, `figures.${enc}.outOfOrder`))} out of order`,
    '0 lost, 0 duplicated, order kept',
    none(at(r, `figures.${enc}.lost`), at(r, `figures.${enc}.duplicatedAfterAck`), at(r, `figures.${enc}.outOfOrder`)),
  ]);
  return table(`Soak (\`make soak\`, \`bench/results/${suite}.json\`, ${measuredOn(r)})`, rows);
}

export function fuzzTable(r: Doc | undefined, suite: string): string {
  const targets = Object.keys((at(r, 'figures.targets') ?? {}) as Doc).length;
  const inputs = at(r, 'figures.inputs');
  const rows = [[
    `mutated inputs over ${targets} targets (codec both encodings, RecordIO, ProcessIO, switchboard requests)`,
    `${count(inputs)} in ${num(r, 'figures.seconds', ' s', 0)}, seed ${at(r, 'figures.seed') ?? '?'}; only typed errors; peak heap ${num(r, 'figures.peak_heap_mb', ' MB', 0)} (baseline ${num(r, 'figures.baseline_heap_mb', ' MB', 0)})`,
    '≥ 1,000,000, typed errors only',
    typeof inputs === 'number' ? verdict(inputs >= 1_000_000) : '–',
  ]];
  return table(`Fuzz (\`make fuzz\`, \`bench/results/${suite}.json\`, ${measuredOn(r)})`, rows);
}

export function churnTable(r: Doc | undefined, suite: string): string {
  const rows = [[
    'exec sessions dropped at random points (children that ignore SIGTERM)',
    `${count(at(r, 'figures.sessions'))} sessions, ${num(r, 'figures.sessionsPerSecond', '/s')}: ${count(at(r, 'figures.processesLeft'))} processes left, RSS ${num(r, 'figures.rssGrowthMiB', ' MiB')} from the start`,
    '0 processes left',
    none(at(r, 'figures.processesLeft')),
  ]];
  return table(`Churn (\`make soak\`, \`bench/results/${suite}.json\`, ${measuredOn(r)})`, rows);
}

export function loadTasksTable(r: Doc | undefined, suite: string): string {
  const bound = at(r, 'figures.p99DelayBoundMs');
  const rounds = (at(r, 'figures.rounds') ?? []) as Doc[];
  const rows = rounds.map((round) => [
    `${count(round.tasks)} tasks launched, then killed`,
    `all running after ${num(round, 'launchToAllRunningMs', ' ms', 0)}, kill-all ${num(round, 'killAllMs', ' ms', 0)}; event-loop delay p99 ${num(round, 'eventLoopDelayP99Ms', ' ms')} (a busy process beside it: ${num(round, 'busyProcessP99Ms', ' ms')}); peak RSS ${num(round, 'maxRssMB', ' MB', 0)}`,
    `p99 < ${bound ?? '?'} ms`,
    typeof round.eventLoopDelayP99Ms === 'number' && typeof bound === 'number' ? verdict(round.eventLoopDelayP99Ms < bound) : '–',
  ]);
  return table(`Load: tasks (\`make soak\`, \`bench/results/${suite}.json\`, ${measuredOn(r)})`, rows);
}

export function loadSwitchboardTable(r: Doc | undefined, suite: string): string {
  const rows = [
    [`${count(at(r, 'figures.attachReaders.readers'))} attach readers that never read`, `one more is refused (429); RSS +${num(r, 'figures.attachReaders.rssGrowthMiB', ' MiB')}, event-loop delay p99 ${num(r, 'figures.attachReaders.eldP99Ms', ' ms')}`, 'bounded memory', ''],
    [`${count(at(r, 'figures.idleConnections.connections'))} idle connections`, `${count(at(r, 'figures.idleConnections.serverPeakConnections'))} held at once, all closed after ${num(r, 'figures.idleConnections.clearedMs', ' ms', 0)}; a task launched meanwhile; RSS +${num(r, 'figures.idleConnections.rssGrowthMiB', ' MiB')}`, 'no EMFILE for the executor', ''],
    [`${num(r, 'figures.nonReadingPty.inputMiB', ' MiB', 0)} pushed at a terminal that never reads`, `${num(r, 'figures.nonReadingPty.acceptedMiB', ' MiB')} taken, ${num(r, 'figures.nonReadingPty.cpuPercent', '% CPU')}, RSS +${num(r, 'figures.nonReadingPty.rssGrowthMiB', ' MiB')}`, 'no spin, no growth', ''],
  ];
  return table(`Load: switchboard (\`make soak\`, \`bench/results/${suite}.json\`, ${measuredOn(r)})`, rows);
}

function grid(header: string[], rows: string[][]): string {
  return [`|${header.map((h) => (h ? ` ${h} ` : ' ')).join('|')}|`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function table(title: string, rows: string[][], header = ['What', 'Result', 'Target', '']): string {
  return [`**${title}**`, '', grid(header, rows)].join('\n');
}

/** bench/results/range.json (`make bench-range`): each target figure over several runs. */
export function rangeTable(r: Doc | undefined, suite: string): string {
  const rows = ((at(r, 'rows') ?? []) as Doc[]).map((row) => {
    const values = ((row.values ?? []) as Array<number | null>).map((v) => (v === null ? '–' : plain(v))).join(', ');
    const span = typeof row.min === 'number' && typeof row.max === 'number' ? `${plain(row.min)} – ${plain(row.max)}` : '–';
    return [String(row.figure), `${span} (${values})`, String(row.target), `${verdict(row.met)} (${row.metInRuns} of ${row.runs})`];
  });
  const carried = at(r, 'carried') as { suites: string[]; meta: Doc } | undefined;
  const when = carried ? `${(at(r, 'suites') as string[]).join(', ')} ${measuredOn(r)}; ${carried.suites.join(', ')} rows from the range ${measuredOn({ meta: carried.meta })}` : measuredOn(r);
  return table(`Run-to-run range (\`make bench-range\`, ${at(r, 'runs') ?? '?'} runs, \`bench/results/${suite}.json\`, ${when})`, rows, ['Figure', 'Range (each run)', 'Target', 'Met in every run']);
}

export interface TableDefinition {
  /** The marked section the table renders into (`<!-- bench:begin NAME -->`). */
  section: string;
  /** bench/results/<results>.json; a trailing `*` takes every matching file, by name. */
  results: string;
  /** Left out while the results file does not exist (instead of a table of "–"). */
  optional?: boolean;
  render(r: Doc | undefined, suite: string): string;
}

/** Every rendered table: a new results file gets one by a line here. */
export const TABLES: readonly TableDefinition[] = [
  { section: 'summary', results: 'executor', render: executorTable },
  { section: 'summary', results: 'checks', render: checksTable },
  { section: 'summary', results: 'switchboard', render: switchboardTable },
  { section: 'robustness', results: 'soak', optional: true, render: soakTable },
  { section: 'robustness', results: 'fuzz', optional: true, render: fuzzTable },
  { section: 'robustness', results: 'churn', optional: true, render: churnTable },
  { section: 'robustness', results: 'load-tasks', optional: true, render: loadTasksTable },
  { section: 'robustness', results: 'load-switchboard', optional: true, render: loadSwitchboardTable },
  { section: 'range', results: 'range', optional: true, render: rangeTable },
  { section: 'checks-cost', results: 'checks', render: checksCostTable },
  { section: 'switchboard-cost', results: 'switchboard', render: switchboardCostTable },
  { section: 'session-start', results: 'switchboard', render: sessionStartTable },
];

export const SECTIONS: readonly string[] = [...new Set(TABLES.map((d) => d.section))];

function suitesOf(def: TableDefinition, resultsDir: string): string[] {
  if (!def.results.endsWith('*')) return [def.results];
  const prefix = def.results.slice(0, -1);
  const files = existsSync(resultsDir) ? readdirSync(resultsDir) : [];
  return files.filter((f) => f.startsWith(prefix) && f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
}

/** The markdown of one section, from the results files in `resultsDir`. */
export function renderSection(section: string, resultsDir = join(repo, 'bench', 'results')): string {
  const defs = TABLES.filter((d) => d.section === section);
  if (defs.length === 0) throw new Error(`unknown bench section '${section}' (known: ${SECTIONS.join(', ')})`);
  const parts: string[] = [];
  for (const def of defs) {
    for (const suite of suitesOf(def, resultsDir)) {
      const doc = load(resultsDir, suite);
      if (doc || !def.optional) parts.push(def.render(doc, suite));
    }
  }
  return parts.join('\n\n');
}

/** The README's tables. */
export function renderBenchmarks(resultsDir = join(repo, 'bench', 'results')): string {
  return renderSection('summary', resultsDir);
}

const MARKER = /<!-- bench:(begin|end) ([a-z0-9-]+) -->/g;

/** The names of the marked sections of `text`, in order; throws on unpaired markers. */
export function sectionsOf(text: string): string[] {
  const names: string[] = [];
  let open: string | undefined;
  for (const [, kind, name] of text.matchAll(MARKER)) {
    if (kind === 'begin') {
      if (open) throw new Error(`<!-- bench:begin ${name} --> inside section '${open}'`);
      open = name!;
    } else {
      if (open !== name) throw new Error(`<!-- bench:end ${name} --> without its <!-- bench:begin ${name} -->`);
      names.push(name!);
      open = undefined;
    }
  }
  if (open) throw new Error(`<!-- bench:begin ${open} --> without its <!-- bench:end ${open} -->`);
  return names;
}

/** Replaces the body of the section `name` of `text`; throws if its markers are missing. */
export function replaceSection(text: string, name: string, body: string): string {
  const begin = `<!-- bench:begin ${name} -->`;
  const end = `<!-- bench:end ${name} -->`;
  const b = text.indexOf(begin);
  const e = text.indexOf(end);
  if (b < 0 || e < b) throw new Error(`no ${begin} … ${end} section`);
  return `${text.slice(0, b + begin.length)}\n${body}\n${text.slice(e)}`;
}

/** `text` with every marked section rendered afresh. */
export function renderDoc(text: string, resultsDir = join(repo, 'bench', 'results')): string {
  return sectionsOf(text).reduce((doc, name) => replaceSection(doc, name, renderSection(name, resultsDir)), text);
}

/** README.md and docs/*.md: the files that may hold marked sections. */
export function docFiles(root = repo): string[] {
  const docs = join(root, 'docs');
  const md = existsSync(docs) ? readdirSync(docs).filter((f) => f.endsWith('.md')).sort().map((f) => join(docs, f)) : [];
  return [join(root, 'README.md'), ...md].filter((f) => existsSync(f));
}

/** Re-renders every doc file; returns the ones whose text changed (with `write`, after writing them). */
export function updateDocs(options: { resultsDir?: string; root?: string; write: boolean }): string[] {
  const changed: string[] = [];
  for (const file of docFiles(options.root)) {
    const text = readFileSync(file, 'utf8');
    const next = renderDoc(text, options.resultsDir);
    if (next === text) continue;
    changed.push(file);
    if (options.write) writeFileSync(file, next);
  }
  return changed;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.includes('--update') || args.includes('--check')) {
    const write = args.includes('--update');
    const changed = updateDocs({ write }).map((f) => f.slice(repo.length + 1));
    if (write) process.stderr.write(`bench: ${changed.length ? `tables rewritten in ${changed.join(', ')}` : 'every doc already shows the results'}\n`);
    else if (changed.length) process.stderr.write(`bench: ${changed.join(', ')} differ from bench/results/*.json: run make docs\n`);
    process.exitCode = !write && changed.length ? 1 : 0;
  } else {
    process.stdout.write(`${renderBenchmarks()}\n`);
  }
}
