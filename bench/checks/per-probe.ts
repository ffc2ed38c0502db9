// How bench/checks measures CPU per probe against kubelet's way, as pure rules:
// * Warm-up until steady. V8 compiles the probe's code on background threads, whose CPU
//   counts in process.cpuUsage(): in batches of 500 probes the first 2,000 cost 2-4 times
//   what every later one does (0.125, 0.23, 0.17, 0.11, then 0.055-0.065 ms per probe), so
//   a fixed warm-up of 500 measured the compiler as much as the probe. An executor probes
//   for days; its warm-up is reported on its own (`warmUp`), not spread over the figure.
// * Ours and kubelet's in alternating rounds, summed: the machine's state (load, sockets in
//   TIME_WAIT, which make connect() search longer for a port) drifts within a run, and
//   alternating shares the drift between both sides instead of charging it to one.

export interface WarmUpRule {
  /** Probes per batch whose CPU per probe is compared. */
  batch: number;
  minProbes: number;
  /** Warm-up ends here, steady or not (a noisy machine may never look steady). */
  maxProbes: number;
  /** The last this many batches... */
  window: number;
  /** ...within this factor of one another (max / min). */
  spread: number;
}

export const WARM_UP: WarmUpRule = { batch: 250, minProbes: 2000, maxProbes: 10_000, window: 4, spread: 1.3 };
export const QUICK_WARM_UP: WarmUpRule = { batch: 100, minProbes: 500, maxProbes: 2000, window: 3, spread: 1.5 };

export type WarmUpState = 'continue' | 'steady' | 'limit';

/** After these batches (CPU ms per probe of each, in order): go on, or stop and why. */
export function warmUpState(batches: readonly number[], rule: WarmUpRule): WarmUpState {
  const probes = batches.length * rule.batch;
  if (probes >= rule.minProbes && batches.length >= rule.window) {
    const last = batches.slice(-rule.window);
    if (Math.max(...last) <= Math.min(...last) * rule.spread) return 'steady';
  }
  return probes >= rule.maxProbes ? 'limit' : 'continue';
}

/**
 * Rounds of one side as one figure: every numeric field is per probe and becomes its mean
 * over all the rounds' probes, except `probes` and the `counts` named, which are summed.
 */
export function combineRounds<T extends { probes: number }>(rounds: readonly T[], counts: ReadonlyArray<keyof T> = []): T {
  if (rounds.length === 0) throw new Error('combineRounds: no rounds');
  const probes = rounds.reduce((n, r) => n + r.probes, 0);
  const out: Record<string, unknown> = { ...rounds[0] };
  for (const key of Object.keys(out) as Array<keyof T & string>) {
    if (typeof rounds[0]![key] !== 'number') continue;
    const values = rounds.map((r) => r[key] as number);
    out[key] = key === 'probes' || counts.includes(key) ? values.reduce((a, b) => a + b, 0) : values.reduce((s, v, k) => s + v * rounds[k]!.probes, 0) / probes;
  }
  return out as T;
}

/** Probes per round: `total` split over `rounds`, at least one each. */
export function roundSizes(total: number, rounds: number): number[] {
  const n = Math.max(1, Math.floor(rounds));
  const base = Math.max(1, Math.floor(total / n));
  return Array.from({ length: n }, () => base);
}
