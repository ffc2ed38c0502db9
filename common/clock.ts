// Time goes through a Clock so that timing logic (kill grace, check intervals, backoff)
// can be driven step by step in tests instead of waited for.
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Milliseconds on a monotonic clock with sub-millisecond resolution; only differences
   * mean anything. For durations: now() moves in whole milliseconds and jumps with NTP.
   */
  monotonic(): number;
  /** Any delay from 0 up to days, weeks or Infinity (never); NaN is a RangeError. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

/**
 * Node fires a timer longer than this after 1 ms (with a TimeoutOverflowWarning), so a
 * 25-day kill grace would SIGKILL at once: longer delays are armed in steps of at most this.
 */
export const MAX_TIMER_STEP_MS = 2 ** 31 - 1;

/** What a host offers: one-shot timers of at most MAX_TIMER_STEP_MS and a monotonic reading. */
export interface HostTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
  /** Milliseconds on a clock that never jumps (wall-clock changes must not move deadlines). */
  monotonicNow(): number;
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

function checkDelay(ms: number): number {
  if (Number.isNaN(ms)) throw new RangeError('timer delay must be a number of milliseconds, got NaN');
  return Math.max(0, ms);
}

/** A Clock over host timers that splits delays longer than MAX_TIMER_STEP_MS into steps. */
export class SteppedClock implements Clock {
  readonly #host: HostTimers;
  #next = 0;
  /** Per timer: the host timer of its current step. */
  readonly #timers = new Map<number, unknown>();

  constructor(host: HostTimers) {
    this.#host = host;
  }

  now(): number {
    return this.#host.now();
  }

  monotonic(): number {
    return this.#host.monotonicNow();
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = ++this.#next;
    const due = this.#host.monotonicNow() + checkDelay(ms);
    const arm = (remaining: number): void => {
      const step = Math.min(remaining, MAX_TIMER_STEP_MS);
      this.#timers.set(
        id,
        this.#host.setTimeout(() => {
          // Only a cut-short step re-arms: a timer armed for its whole delay fires as armed.
          if (step < remaining) return arm(Math.max(0, due - this.#host.monotonicNow()));
          this.#timers.delete(id);
          callback();
        }, step),
      );
    };
    arm(due - this.#host.monotonicNow());
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const timer = this.#timers.get(handle.id);
    if (timer !== undefined) this.#host.clearTimeout(timer);
    this.#timers.delete(handle.id);
  }
}

const nodeTimers: HostTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
  monotonicNow: () => performance.now(),
  now: () => Date.now(),
};

export const systemClock: Clock = new SteppedClock(nodeTimers);

/** A clock that only moves when told to; timers fire in due order during advance(). */
export class ManualClock implements Clock {
  #now: number;
  #next = 0;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Manual time: durations are what advance() moved. */
  monotonic(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = ++this.#next;
    this.#timers.set(id, { at: this.#now + checkDelay(ms), callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.#timers.delete(handle.id);
  }

  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let dueId: number | undefined;
      let due: { at: number; callback: () => void } | undefined;
      for (const [id, t] of this.#timers) {
        if (t.at <= target && (!due || t.at < due.at || (t.at === due.at && id < dueId!))) {
          due = t;
          dueId = id;
        }
      }
      if (!due || dueId === undefined) break;
      this.#timers.delete(dueId);
      this.#now = Math.max(this.#now, due.at);
      due.callback();
    }
    this.#now = target;
  }
}
