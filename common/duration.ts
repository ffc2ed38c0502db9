// Mesos duration strings (stout/duration.hpp): `<number><unit>`, e.g. `5secs`, `1500ms`, `2.5mins`.
import { EnvironmentError } from './errors.js';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  ms: 1,
  secs: 1000,
  mins: 60_000,
  hrs: 3_600_000,
  days: 86_400_000,
  weeks: 604_800_000,
};

const DURATION = /^(\d+(?:\.\d+)?)(ns|us|ms|secs|mins|hrs|days|weeks)$/;

/**
 * The longest duration there is: Mesos keeps durations as int64 nanoseconds (stout
 * Duration, DurationInfo), so nothing longer can be sent, stored or meant. About 292 years.
 */
export const MAX_DURATION_MS = Number((2n ** 63n - 1n) / 1_000_000n);

/** Why `ms` is no duration, or undefined when it is one (finite, 0 to MAX_DURATION_MS). */
export function durationProblem(ms: number): string | undefined {
  if (Number.isNaN(ms) || ms < 0) return `must be a duration >= 0, got ${ms} ms`;
  if (ms > MAX_DURATION_MS) return `must be at most ${MAX_DURATION_MS}ms (about 292 years, the longest Mesos duration), got ${ms} ms`;
  return undefined;
}

/** Parses a Mesos duration string into milliseconds; `variable` names the source in errors. */
export function parseDuration(text: string, variable: string): number {
  const m = DURATION.exec(text);
  if (!m) {
    throw new EnvironmentError(variable, `${JSON.stringify(text)} is not a Mesos duration (expected e.g. "5secs", "1500ms", "15mins")`);
  }
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  const problem = durationProblem(ms);
  if (problem) throw new EnvironmentError(variable, `${JSON.stringify(text)}: ${problem}`);
  return ms;
}

export function durationInfoToMs(d: { nanoseconds: bigint } | undefined): number | undefined {
  return d === undefined ? undefined : Number(d.nanoseconds) / 1e6;
}

export function msToDurationInfo(ms: number): { nanoseconds: bigint } {
  return { nanoseconds: BigInt(Math.round(ms * 1e6)) };
}
