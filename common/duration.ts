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

/** Parses a Mesos duration string into milliseconds; `variable` names the source in errors. */
export function parseDuration(text: string, variable: string): number {
  const m = DURATION.exec(text);
  if (!m) {
    throw new EnvironmentError(variable, `${JSON.stringify(text)} is not a Mesos duration (expected e.g. "5secs", "1500ms", "15mins")`);
  }
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** Formats milliseconds the way the agent does: the largest unit giving a whole number. */
export function formatDuration(ms: number): string {
  for (const unit of ['weeks', 'days', 'hrs', 'mins', 'secs', 'ms', 'us', 'ns'] as const) {
    const n = ms / UNIT_MS[unit]!;
    if (Number.isInteger(n) && n !== 0) return `${n}${unit}`;
  }
  return ms === 0 ? '0ns' : `${ms}ms`;
}

export const NANOS_PER_MS = 1_000_000n;

export function durationInfoToMs(d: { nanoseconds: bigint } | undefined): number | undefined {
  return d === undefined ? undefined : Number(d.nanoseconds) / 1e6;
}

export function msToDurationInfo(ms: number): { nanoseconds: bigint } {
  return { nanoseconds: BigInt(Math.round(ms * 1e6)) };
}
