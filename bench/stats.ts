// Summary statistics shared by the benchmark suites.
import { readFileSync } from 'node:fs';
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

/** The machine's CPU time so far, all cores, in /proc/stat ticks: in all, idle (iowait included), and stolen by the hypervisor. */
export interface CpuTimes {
  total: number;
  idle: number;
  steal: number;
}

/**
 * The aggregate `cpu` line of /proc/stat (user nice system idle iowait irq softirq steal
 * guest guest_nice); guest time is already counted in user and nice. Undefined where the
 * text has no such line (not Linux, or a kernel without the steal column).
 */
export function parseCpuTimes(procStat: string): CpuTimes | undefined {
  const line = /^cpu +([\d ]+)$/m.exec(procStat)?.[1];
  // Digits and spaces only (the pattern): every field is a number.
  const fields = line?.trim().split(/ +/).map(Number) ?? [];
  if (fields.length < 8) return undefined;
  return { total: fields.slice(0, 8).reduce((a, b) => a + b, 0), idle: fields[3]! + fields[4]!, steal: fields[7]! };
}

export function cpuTimes(): CpuTimes | undefined {
  try {
    return parseCpuTimes(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The share of the machine's CPU time the hypervisor gave to others between two readings
 * (0..1, to 0.001): on a shared VM the load average stays low while the cores are taken
 * away, and every figure measured then is slow for a reason of nobody's code.
 */
export function stealShare(before: CpuTimes | undefined, after: CpuTimes | undefined = cpuTimes()): number | undefined {
  return shareOf('steal', before, after);
}

/**
 * The share of the machine's CPU time no one used between two readings (0..1, to 0.001):
 * a pipeline that leaves a core idle is waiting on its own wake-ups, not on the machine.
 */
export function idleShare(before: CpuTimes | undefined, after: CpuTimes | undefined = cpuTimes()): number | undefined {
  return shareOf('idle', before, after);
}

function shareOf(field: 'steal' | 'idle', before: CpuTimes | undefined, after: CpuTimes | undefined): number | undefined {
  if (!before || !after || after.total <= before.total) return undefined;
  return Math.round(((after[field] - before[field]) / (after.total - before.total)) * 1000) / 1000;
}

/** How busy the machine was when a suite started, to compare with when it ended. */
export interface MachineBefore {
  loadAverage: number[];
  cpu: CpuTimes | undefined;
}

export function machineBefore(): MachineBefore {
  return { loadAverage: loadavg(), cpu: cpuTimes() };
}

/** The machine and time a suite ran on, stored beside its results; with `before`, how quiet it was (the figures are only as good as that). */
export function runMeta(started: Date, suite: string, before?: MachineBefore): Record<string, unknown> {
  const cpu = cpus();
  const steal = before ? stealShare(before.cpu) : undefined;
  return {
    suite,
    started: started.toISOString(),
    finished: new Date().toISOString(),
    ...(before ? { loadAverage: { before: before.loadAverage.map((l) => Math.round(l * 100) / 100), after: loadavg().map((l) => Math.round(l * 100) / 100) } } : {}),
    ...(steal !== undefined ? { stealShare: steal } : {}),
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
