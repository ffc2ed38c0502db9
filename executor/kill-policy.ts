// How long a task gets between SIGTERM and SIGKILL (executor-api.md §9).
import type { Clock, TimerHandle } from '../common/clock.js';
import { durationInfoToMs } from '../common/duration.js';
import type { mesos } from '../proto/codec.js';

/** Default of both built-in executors when neither the KILL nor the TaskInfo names one. */
export const DEFAULT_KILL_GRACE_MS = 3000;

/** Time the agent needs after our SIGKILL to reap and report; kept out of the shutdown grace. */
export const SHUTDOWN_MARGIN_MS = 2000;

/** KILL's policy, else the TaskInfo's, else 3 s. */
export function killGracePeriodMs(killPolicy: mesos.KillPolicy | undefined, taskPolicy: mesos.KillPolicy | undefined): number {
  return killGraceMs(killPolicy, killGraceMs(taskPolicy, DEFAULT_KILL_GRACE_MS));
}

/** `policy`'s grace when it names one (negative counts as 0), else `fallbackMs`. */
export function killGraceMs(policy: mesos.KillPolicy | undefined, fallbackMs: number): number {
  const ms = durationInfoToMs(policy?.grace_period);
  return ms === undefined ? fallbackMs : Math.max(0, ms);
}

/**
 * Grace for a task killed by SHUTDOWN: the upstream library SIGKILLs the whole executor
 * SHUTDOWN_GRACE after the event, so each task must be done 2 s before that.
 * E.g. shutdown 5 s, task 10 s → 3 s; shutdown 5 s, task 1 s → 1 s; shutdown 1 s → 0.
 */
export function shutdownGraceMs(taskGraceMs: number, shutdownGracePeriodMs: number): number {
  return Math.max(0, Math.min(taskGraceMs, shutdownGracePeriodMs - SHUTDOWN_MARGIN_MS));
}

/**
 * The SIGKILL deadline of one kill. A repeated KILL may only bring it forward: with
 * `start` the first SIGTERM and `g` the new grace, `start + g` replaces the deadline only
 * if it is earlier (and fires at once if already past). A longer grace cannot rescue a
 * task the scheduler already asked to die sooner.
 */
export class KillEscalation {
  readonly #clock: Clock;
  readonly #onEscalate: () => void;
  readonly startedAt: number;
  #deadline: number;
  #timer: TimerHandle | undefined;
  #done = false;

  constructor(clock: Clock, graceMs: number, onEscalate: () => void) {
    this.#clock = clock;
    this.#onEscalate = onEscalate;
    this.startedAt = clock.now();
    this.#deadline = this.startedAt + graceMs;
    this.#arm();
  }

  get deadline(): number {
    return this.#deadline;
  }

  /** Applies a repeated KILL's grace; returns true if the deadline moved. */
  shorten(graceMs: number): boolean {
    if (this.#done) return false;
    const candidate = this.startedAt + Math.max(0, graceMs);
    if (candidate >= this.#deadline) return false;
    this.#deadline = candidate;
    this.#arm();
    return true;
  }

  cancel(): void {
    this.#done = true;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#done) return;
      this.#done = true;
      this.#onEscalate();
    }, this.#deadline - this.#clock.now());
  }
}
