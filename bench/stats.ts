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

/**
 * Latency samples in a fixed amount of memory: 0.1 ms buckets up to 100 ms, 1 ms buckets up
 * to 10 s, one overflow bucket. Percentiles are the bucket's upper edge (nearest rank), so
 * exact to the bucket width; mean, min and max are exact.
 */
export class LatencyHistogram {
  static readonly FINE_MS = 100;
  static readonly COARSE_MS = 10_000;
  readonly #counts = new Float64Array(1000 + 9900 + 1);
  #n = 0;
  #sum = 0;
  #min = Infinity;
  #max = -Infinity;

  observe(ms: number): void {
    const v = Math.max(0, ms);
    let i: number;
    if (v < LatencyHistogram.FINE_MS) i = Math.floor(v * 10);
    else if (v < LatencyHistogram.COARSE_MS) i = 1000 + Math.floor(v - LatencyHistogram.FINE_MS);
    else i = this.#counts.length - 1;
    this.#counts[i]!++;
    this.#n++;
    this.#sum += ms;
    if (ms < this.#min) this.#min = ms;
    if (ms > this.#max) this.#max = ms;
  }

  get samples(): number {
    return this.#n;
  }

  /** Nearest-rank percentile: the upper edge of the bucket holding that rank (the max beyond 10 s). */
  percentile(p: number): number {
    if (this.#n === 0) throw new RangeError('percentile of no samples');
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be within 0..100, got ${p}`);
    const rank = Math.max(1, Math.ceil((p / 100) * this.#n));
    let acc = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      acc += this.#counts[i]!;
      if (acc >= rank) {
        const edge = i < 1000 ? (i + 1) / 10 : i < this.#counts.length - 1 ? LatencyHistogram.FINE_MS + (i - 1000) + 1 : this.#max;
        return Math.min(edge, this.#max);
      }
    }
    return this.#max;
  }

  summary(): LatencySummary {
    if (this.#n === 0) throw new RangeError('summary of no samples');
    return { samples: this.#n, p50Ms: ms(this.percentile(50)), p99Ms: ms(this.percentile(99)), meanMs: ms(this.#sum / this.#n), minMs: ms(this.#min), maxMs: ms(this.#max) };
  }
}
