// Renders bench/results/*.json as the README's benchmark tables, so the README never
// shows figures that no run produced. `node dist/bench/report.js` prints the markdown;
// `--update FILE` replaces the text between `<!-- bench:begin -->` and `<!-- bench:end -->`
// in FILE. A suite whose results file is absent, or lacks a figure, shows "–".
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BEGIN = '<!-- bench:begin -->';
const END = '<!-- bench:end -->';

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

function load(resultsDir: string, suite: string): Doc | undefined {
  const file = join(resultsDir, `${suite}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Doc) : undefined;
}

function measuredOn(doc: Doc | undefined): string {
  if (!doc) return 'no results yet: run `make bench`';
  const m = (doc.meta ?? {}) as Doc;
  const when = String(m.started ?? m.finished ?? '?').slice(0, 16).replace('T', ' ');
  const cpus = m.cpus !== undefined ? `, ${m.cpus} × ${m.cpuModel ?? 'CPU'}` : '';
  return `measured ${when} UTC, Node ${m.node ?? '?'}${cpus}`;
}

export function executorTable(r: Doc | undefined): string {
  const rows = [
    ['LAUNCH → TASK_RUNNING p50', `${num(r, 'launchToRunning.executor.p50Ms', ' ms', 2)} (direct spawn ${num(r, 'launchToRunning.directSpawn.p50Ms', ' ms', 2)}, ×${num(r, 'launchToRunning.ratioP50', '', 2)})`, 'overhead < 5 ms', ''],
    ['LAUNCH → TASK_RUNNING p99', `${num(r, 'launchToRunning.executor.p99Ms', ' ms', 2)} (direct spawn ${num(r, 'launchToRunning.directSpawn.p99Ms', ' ms', 2)}, ×${num(r, 'launchToRunning.ratioP99', '', 2)})`, '', ''],
    ['launch overhead p50 (executor − direct)', num(r, 'launchToRunning.overheadP50Ms', ' ms', 2), '< 5 ms', verdict(at(r, 'launchToRunning.met'))],
    ['cold start → first SUBSCRIBE (median)', `${num(r, 'coldStartToSubscribe.medianMs', ' ms', 0)} (bare \`node -e 0\`: ${num(r, 'coldStartToSubscribe.nodeStartupMedianMs', ' ms', 0)})`, '< 150 ms', verdict(at(r, 'coldStartToSubscribe.met'))],
    ['executor RSS, subscribed, idle', num(r, 'rss.subscribedIdleMiB', ' MiB'), '', ''],
    ['executor RSS, 1 running task', num(r, 'rss.oneTaskMiB', ' MiB'), '', ''],
    [`executor RSS, ${at(r, 'rss.manyTasks') ?? 100} running tasks`, num(r, 'rss.manyTasksMiB', ' MiB'), '< 60 MB', verdict(at(r, 'rss.met'))],
  ];
  return table(`Executor (\`bench/executor\`, ${measuredOn(r)}; ${at(r, 'launchToRunning.executor.samples') ?? '?'} launches of \`/bin/true\`)`, rows);
}

export function checksTable(r: Doc | undefined): string {
  const rows = [
    ['CPU per HTTP probe', `${num(r, 'cpuPerProbe.http.inProcess.cpuMsPerProbe', ' ms', 3)} in-process vs ${num(r, 'cpuPerProbe.http.forkedCurl.cpuMsPerProbe', ' ms', 2)} forking curl (×${num(r, 'cpuPerProbe.http.cpuRatio')})`, '≥ 40× less', verdict(at(r, 'cpuPerProbe.http.met'))],
    ['CPU per TCP probe', `${num(r, 'cpuPerProbe.tcp.inProcess.cpuMsPerProbe', ' ms', 3)} in-process vs ${num(r, 'cpuPerProbe.tcp.forkedHelper.cpuMsPerProbe', ' ms', 2)} forked helper (×${num(r, 'cpuPerProbe.tcp.cpuRatio')})`, '', ''],
    [`${at(r, 'load.tasks') ?? 1000} tasks × 1 s HTTP health check: CPU`, `${num(r, 'load.cpuShareOfOneCore', '', 3)} of one core (${num(r, 'load.probesPerSecond', ' probes/s')})`, '< 0.15', verdict(at(r, 'load.met.cpu'))],
    ['… probe lateness p99', num(r, 'load.lateness.p99Ms', ' ms'), '< 50 ms', verdict(at(r, 'load.met.lateness'))],
  ];
  return table(`Checks (\`bench/checks\`, ${measuredOn(r)})`, rows);
}

export function switchboardTable(r: Doc | undefined): string {
  const rows = [
    ['exec output throughput (non-TTY, 1 GiB)', `${num(r, 'throughput.switchboardMiBps', ' MiB/s', 0)} vs ${num(r, 'throughput.directPipeMiBps', ' MiB/s', 0)} direct pipe (×${num(r, 'throughput.ratioToDirect', '', 2)})`, '≥ 0.5× direct', verdict(at(r, 'targetsMet.throughput'))],
    ['keystroke round trip p50 / p99 (TTY)', `${num(r, 'keystrokeRoundTrip.switchboard.p50Ms', ' ms', 2)} / ${num(r, 'keystrokeRoundTrip.switchboard.p99Ms', ' ms', 2)} (local PTY ${num(r, 'keystrokeRoundTrip.localPty.p50Ms', ' ms', 2)} / ${num(r, 'keystrokeRoundTrip.localPty.p99Ms', ' ms', 2)})`, 'p99 < 2 ms', verdict(at(r, 'targetsMet.keystrokeP99'))],
    [`memory per idle session (${at(r, 'idleSessionMemory.sessions') ?? 100} sessions)`, (() => { const b = at(r, 'idleSessionMemory.bytesPerSession'); return typeof b === 'number' ? `${(b / 1024).toFixed(0)} KiB` : '–'; })(), '< 1 MB', verdict(at(r, 'targetsMet.memoryPerSession'))],
  ];
  return table(`IO switchboard (\`bench/switchboard\`, ${measuredOn(r)})`, rows);
}

function table(title: string, rows: string[][]): string {
  return [`**${title}**`, '', '| What | Result | Target | |', '|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function renderBenchmarks(resultsDir = join(repo, 'bench', 'results')): string {
  return [executorTable(load(resultsDir, 'executor')), checksTable(load(resultsDir, 'checks')), switchboardTable(load(resultsDir, 'switchboard'))].join('\n\n');
}

/** Replaces the marked section of `text`; throws if the markers are missing. */
export function replaceSection(text: string, body: string): string {
  const b = text.indexOf(BEGIN);
  const e = text.indexOf(END);
  if (b < 0 || e < b) throw new Error(`no ${BEGIN} … ${END} section`);
  return `${text.slice(0, b + BEGIN.length)}\n${body}\n${text.slice(e)}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const body = renderBenchmarks();
  const i = process.argv.indexOf('--update');
  if (i >= 0) {
    const file = process.argv[i + 1] ?? join(repo, 'README.md');
    writeFileSync(file, replaceSection(readFileSync(file, 'utf8'), body));
    process.stderr.write(`bench: tables written to ${file}\n`);
  } else {
    process.stdout.write(`${body}\n`);
  }
}
