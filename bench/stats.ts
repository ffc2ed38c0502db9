// Summary statistics shared by the benchmark suites.
import { cpus, totalmem, loadavg } from 'node:os';

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new RangeError('percentile of no samples');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be within 0..100, got ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function mean(samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError('mean of no samples');
  return samples.reduce((a, b) => a + b, 0) / samples.length;
}

/** Milliseconds rounded to microseconds, so the JSON stays readable. */
export function ms(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  return {
    samples: samples.length,
    p50Ms: ms(percentile(samples, 50)),
    p99Ms: ms(percentile(samples, 99)),
    meanMs: ms(mean(samples)),
    // Not Math.min(...samples): a load run has hundreds of thousands (call stack overflow).
    minMs: ms(samples.reduce((a, b) => Math.min(a, b), Infinity)),
    maxMs: ms(samples.reduce((a, b) => Math.max(a, b), -Infinity)),
  };
}

/** The machine and time a suite ran on, stored beside its results. */
/** `loadBefore`: os.loadavg() when the suite started (the figures are only as good as the machine was quiet). */
export function runMeta(started: Date, suite: string, loadBefore?: number[]): Record<string, unknown> {
  const cpu = cpus();
  return {
    suite,
    started: started.toISOString(),
    finished: new Date().toISOString(),
    ...(loadBefore ? { loadAverage: { before: loadBefore.map((l) => Math.round(l * 100) / 100), after: loadavg().map((l) => Math.round(l * 100) / 100) } } : {}),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpu.length,
    cpuModel: cpu[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
}
