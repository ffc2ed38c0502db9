// Delays between retries. Two shapes, both with injected randomness so tests can pin them:
//  - re-subscription (executor-api.md §8): first attempt at once, then a delay drawn
//    uniformly from [0, MESOS_SUBSCRIPTION_BACKOFF_MAX] each time. The cap matters more
//    than growth: a restarted agent waits only --executor_reregistration_timeout (2 s by
//    default) for executors to come back, so every attempt must land within the cap.
//  - call retries (UPDATE re-POST): capped exponential with full jitter.

export type Random = () => number;

/**
 * Lowest cap of the re-subscription delay: MESOS_SUBSCRIPTION_BACKOFF_MAX=0ns would
 * otherwise retry a refused connection hundreds of times a second. Far below the 2 s an
 * agent waits for its executors after a restart, so an attempt still lands in time.
 */
export const SUBSCRIPTION_BACKOFF_FLOOR_MS = 100;

export class SubscriptionBackoff {
  readonly #maxMs: number;
  readonly #random: Random;
  #attempts = 0;

  constructor(maxMs: number, random: Random = Math.random) {
    if (!(maxMs >= 0)) throw new RangeError(`backoff maximum must be >= 0, got ${maxMs}`);
    this.#maxMs = Math.max(maxMs, SUBSCRIPTION_BACKOFF_FLOOR_MS);
    this.#random = random;
  }

  /** Delay before the next attempt: 0 for the first, then uniform in [0, max(max, floor)]. */
  next(): number {
    return this.#attempts++ === 0 ? 0 : this.#random() * this.#maxMs;
  }

  reset(): void {
    this.#attempts = 0;
  }
}

export class ExponentialBackoff {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #random: Random;
  #attempt = 0;

  constructor(options: { baseMs: number; maxMs: number; random?: Random }) {
    if (!(options.baseMs > 0)) throw new RangeError(`backoff base must be > 0, got ${options.baseMs}`);
    if (!(options.maxMs >= options.baseMs)) throw new RangeError(`backoff maximum ${options.maxMs} is below its base ${options.baseMs}`);
    this.#baseMs = options.baseMs;
    this.#maxMs = options.maxMs;
    this.#random = options.random ?? Math.random;
  }

  /** Full jitter: uniform in [0, min(max, base * 2^attempt)]. */
  next(): number {
    const ceiling = Math.min(this.#maxMs, this.#baseMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return this.#random() * ceiling;
  }

  reset(): void {
    this.#attempt = 0;
  }
}
