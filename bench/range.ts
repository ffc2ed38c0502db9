// `make bench-range` / `node dist/bench/range.js [RUNS] [suite...]`: runs the benchmarks
// RUNS times (default 5) one after the other, each run exactly as `make bench` does, and
// writes bench/results/range.json: for each target figure, its value in every run, the
// range, and in how many runs it met its target. A target that says "in every one of 5
// runs" is met only when it is met in all of them. The README's range table is rendered
// from that file (bench/report.ts), like every other table.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { updateDocs } from './report.js';
import { machineBefore, runMeta } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
const repo = resolve(here, '../..');
const resultsDir = join(repo, 'bench', 'results');

type Doc = Record<string, unknown>;

export interface RangeFigure {
  figure: string;
  suite: string;
  /** Where the figure is in bench/results/<suite>.json. */
  path: string;
  target: { op: '<' | '<=' | '>='; value: number };
  unit: string;
}

/** The issue-11 targets, one row each. */
export const RANGE_FIGURES: readonly RangeFigure[] = [
  { figure: 'CPU per HTTP probe vs kubelet’s way', suite: 'checks', path: 'cpuPerProbe.http.versusKubelet.cpuRatio', target: { op: '<=', value: 0.5 }, unit: '×' },
  { figure: 'CPU per HTTP probe: forked curl ÷ ours', suite: 'checks', path: 'cpuPerProbe.http.cpuRatio', target: { op: '>=', value: 50 }, unit: '×' },
  { figure: 'CPU per TCP probe vs kubelet’s way', suite: 'checks', path: 'cpuPerProbe.tcp.versusKubelet.cpuRatio', target: { op: '<=', value: 0.8 }, unit: '×' },
  { figure: '1,000 tasks × 1 s HTTP checks: share of one core at 1,000 probes/s', suite: 'checks', path: 'load.cpuShareAtNominalRate', target: { op: '<', value: 0.1 }, unit: '' },
  { figure: '1,000 tasks × 1 s: p99 lateness', suite: 'checks', path: 'load.lateness.p99Ms', target: { op: '<', value: 20 }, unit: ' ms' },
  { figure: '10,000 tasks × 1 s: cores at 10,000 probes/s', suite: 'checks', path: 'agentScale.cpuShareAtNominalRate', target: { op: '<', value: 1 }, unit: '' },
  { figure: '10,000 tasks × 1 s: p99 lateness', suite: 'checks', path: 'agentScale.lateness.p99Ms', target: { op: '<', value: 50 }, unit: ' ms' },
  { figure: '10,000 tasks × 1 s: executor RSS', suite: 'checks', path: 'agentScale.rssMiB', target: { op: '<', value: 150 }, unit: ' MiB' },
  { figure: 'exec output throughput vs direct pipe (worst round)', suite: 'switchboard', path: 'throughput.ratioToDirectRange.min', target: { op: '>=', value: 0.6 }, unit: '×' },
  { figure: 'TTY keystroke round trip p99 (worst round)', suite: 'switchboard', path: 'keystrokeRoundTrip.switchboardP99MsRange.max', target: { op: '<', value: 1.5 }, unit: ' ms' },
  { figure: 'cold start → SUBSCRIBE over `node -e 0`', suite: 'executor', path: 'coldStartToSubscribe.overNodeMs', target: { op: '<', value: 40 }, unit: ' ms' },
];

function at(doc: unknown, path: string): unknown {
  let v: unknown = doc;
  for (const key of path.split('.')) v = v && typeof v === 'object' ? (v as Doc)[key] : undefined;
  return v;
}

export function meets(value: number, target: RangeFigure['target']): boolean {
  switch (target.op) {
    case '<':
      return value < target.value;
    case '<=':
      return value <= target.value;
    case '>=':
      return value >= target.value;
  }
}

export interface RangeRow {
  figure: string;
  target: string;
  /** One per run; null where that run lacks the figure. */
  values: Array<number | null>;
  min: number | null;
  max: number | null;
  metInRuns: number;
  runs: number;
  /** Met in every run. */
  met: boolean;
}

/** The rows of range.json from each run's results, by suite. */
export function rangeRows(runs: ReadonlyArray<Record<string, Doc | undefined>>, figures: readonly RangeFigure[] = RANGE_FIGURES): RangeRow[] {
  return figures.map((f) => {
    const values = runs.map((r) => {
      const v = at(r[f.suite], f.path);
      return typeof v === 'number' && Number.isFinite(v) ? v : null;
    });
    const known = values.filter((v): v is number => v !== null);
    const metInRuns = known.filter((v) => meets(v, f.target)).length;
    return {
      figure: f.figure,
      target: `${f.target.op} ${f.target.value}${f.unit}`,
      values,
      min: known.length ? Math.min(...known) : null,
      max: known.length ? Math.max(...known) : null,
      metInRuns,
      runs: runs.length,
      met: runs.length > 0 && metInRuns === runs.length,
    };
  });
}

function readResults(suites: readonly string[]): Record<string, Doc | undefined> {
  const out: Record<string, Doc | undefined> = {};
  for (const s of suites) {
    try {
      out[s] = JSON.parse(readFileSync(join(resultsDir, `${s}.json`), 'utf8')) as Doc;
    } catch {
      out[s] = undefined;
    }
  }
  return out;
}

export interface RangeDoc {
  rows: RangeRow[];
  meta: Doc;
  carried?: { suites: string[]; meta: Doc };
}

/**
 * A run of some suites keeps the other suites' rows of the range before, with when those
 * were measured: the table stays whole and says which run each row is from.
 */
export function withCarriedRows(before: RangeDoc | undefined, measured: RangeRow[], suites: readonly string[], figures: readonly RangeFigure[] = RANGE_FIGURES): Pick<RangeDoc, 'rows' | 'carried'> {
  const suiteOf = (row: RangeRow) => figures.find((f) => f.figure === row.figure)?.suite;
  const carried = (before?.rows ?? []).filter((row) => suiteOf(row) !== undefined && !suites.includes(suiteOf(row)!));
  const rows = figures.map((f) => measured.find((r) => r.figure === f.figure) ?? carried.find((r) => r.figure === f.figure)).filter((r): r is RangeRow => r !== undefined);
  if (!before || carried.length === 0) return { rows };
  const carriedSuites = [...new Set(carried.map((row) => suiteOf(row)!))];
  // Rows the range before had carried itself keep the date they were measured on.
  const meta = before.carried && carriedSuites.every((x) => before.carried!.suites.includes(x)) ? before.carried.meta : before.meta;
  return { rows, carried: { suites: carriedSuites, meta } };
}

function previousRange(): RangeDoc | undefined {
  try {
    return JSON.parse(readFileSync(join(resultsDir, 'range.json'), 'utf8')) as RangeDoc;
  } catch {
    return undefined;
  }
}

export function main(argv: string[]): number {
  const runs = argv[0] !== undefined && /^\d+$/.test(argv[0]) ? Number(argv.shift()) : 5;
  if (runs < 1) {
    process.stderr.write('bench-range: RUNS must be at least 1\n');
    return 2;
  }
  const suites = argv.length ? argv : [...new Set(RANGE_FIGURES.map((f) => f.suite))];
  const started = new Date();
  const before = machineBefore();
  const results: Array<Record<string, Doc | undefined>> = [];
  for (let i = 1; i <= runs; i++) {
    process.stderr.write(`bench-range: run ${i} of ${runs} (${suites.join(', ')})\n`);
    const run = spawnSync(process.execPath, [join(here, 'run.js'), ...suites], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (run.status !== 0) {
      process.stderr.write(`bench-range: run ${i} failed (exit ${run.status ?? run.signal}); the range is not written\n`);
      return 1;
    }
    results.push(readResults(suites));
  }
  const measured = rangeRows(results, RANGE_FIGURES.filter((f) => suites.includes(f.suite)));
  const doc = { runs, suites, ...withCarriedRows(previousRange(), measured, suites), meta: runMeta(started, 'range', before) };
  writeFileSync(join(resultsDir, 'range.json'), `${JSON.stringify(doc, null, 2)}\n`);
  updateDocs({ write: true });
  for (const r of measured) process.stderr.write(`bench-range: ${r.figure}: ${r.min}–${r.max} (target ${r.target}; met in ${r.metInRuns} of ${r.runs})\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
