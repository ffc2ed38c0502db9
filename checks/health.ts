// Health interpretation, exactly as Mesos' health checker (spec §5): which outcomes are
// healthy, the grace period, consecutive failures, the kill decision and which verdicts
// are reported. Pure: the caller passes the clock reading.
import type { HealthCheckDefinition } from './definitions.js';
import { describeOutcome, type ProbeOutcome } from './outcome.js';

export type HealthDecision =
  /** Inside the grace period before the first success: not counted, not reported. */
  | { report: false; why: 'grace' | 'unchanged' }
  | { report: true; healthy: boolean; kill: boolean; failures: number; message: string };

/** 200..399, or membership in `statuses` when given ([Decision], spec §5). */
export function isHealthy(outcome: ProbeOutcome, statuses: readonly number[] = []): boolean {
  if (outcome.kind !== 'result') return false;
  const r = outcome.result;
  switch (r.type) {
    case 'COMMAND':
      return r.exitCode === 0;
    case 'HTTP':
      return statuses.length > 0 ? statuses.includes(r.statusCode) : r.statusCode >= 200 && r.statusCode < 400;
    case 'TCP':
      return r.succeeded;
  }
}

// The answers of a steady check, one object each rather than one per probe.
const UNCHANGED: HealthDecision = Object.freeze({ report: false, why: 'unchanged' });
const GRACE: HealthDecision = Object.freeze({ report: false, why: 'grace' });

export class HealthInterpreter {
  /** True until the first success; only then can the grace period apply. */
  #initializing = true;
  /** Consecutive counted failures. */
  #failures = 0;

  constructor(
    readonly definition: Pick<HealthCheckDefinition, 'consecutiveFailures' | 'gracePeriodMs' | 'statuses' | 'probe'>,
    /** t0: when the checker was created (right before TASK_RUNNING). */
    readonly startMs: number,
  ) {}

  get failures(): number {
    return this.#failures;
  }

  /** Counting starts over (a held kill, the end of a hold); the grace period does not come back. */
  resetFailures(): void {
    this.#failures = 0;
  }

  onOutcome(outcome: ProbeOutcome, now: number): HealthDecision {
    if (isHealthy(outcome, this.definition.statuses)) {
      const report = this.#initializing || this.#failures > 0;
      const after = this.#failures;
      this.#initializing = false;
      this.#failures = 0;
      // The steady case, once per probe: no message, no string made.
      if (!report) return UNCHANGED;
      const what = `${this.definition.probe.type} health check`;
      const cause = describeOutcome(outcome);
      const message = after > 0 ? `${what} passed after ${after} failure${after > 1 ? 's' : ''}: ${cause}` : `${what} passed: ${cause}`;
      return { report: true, healthy: true, kill: false, failures: 0, message };
    }
    const { gracePeriodMs, consecutiveFailures } = this.definition;
    // Measured, not nominal: a probe landing just after start + grace already counts.
    if (this.#initializing && gracePeriodMs > 0 && now - this.startMs <= gracePeriodMs) return GRACE;
    this.#failures++;
    const what = `${this.definition.probe.type} health check`;
    const cause = describeOutcome(outcome);
    const kill = this.#failures >= consecutiveFailures;
    const count = consecutiveFailures > 0 ? `${this.#failures} of ${consecutiveFailures}` : `${this.#failures} (threshold 0)`;
    return { report: true, healthy: false, kill, failures: this.#failures, message: `${what} failed ${count}: ${cause}` };
  }
}
