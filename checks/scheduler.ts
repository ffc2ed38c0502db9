// One scheduler for every check of every task in the executor (spec §3). Mechanics only:
// when to start a probe, the deadline that aborts it, and where its outcome goes.
//
// - First probe at t0 + delay; after each probe ends, the next is due `interval` later
//   (fixed delay, as Mesos: the period is interval + probe duration). Due times are
//   computed from the clock at the end of each probe, so timer lateness never accumulates.
// - Each wait (the first delay too, even 0) gets up to `jitterFraction` (10 %) of the
//   interval added, from the injected `random`, so that tasks launched together drift
//   apart. Immediate probes (resume, a readiness check's first) get none.
// - At most `maxInFlight` probes run at once; due checks beyond that wait in FIFO order.
// - A min-heap on due time and one clock timer for its head keep the cost per probe
//   O(log n) whatever the number of checks.
// - Pause aborts a running probe and discards its outcome; resume probes at once.
import type { Clock, TimerHandle } from '../common/clock.js';
import { probeError, type ProbeOutcome } from './outcome.js';

export interface ProbeRun {
  dueAt: number;
  startedAt: number;
  endedAt: number;
  /** startedAt − dueAt: how late the scheduler started the probe. */
  lateMs: number;
  /** How long the probe took, on the monotonic clock (sub-millisecond). */
  latencyMs: number;
}

export interface ProbeJob {
  /**
   * Performs one probe; must settle soon after `signal` aborts, and remove any listener it
   * added to `signal` once settled: a signal that was not aborted serves the next probe.
   */
  run(signal: AbortSignal): Promise<ProbeOutcome>;
  /** The outcome of a probe that was neither paused nor stopped while running. */
  onOutcome(outcome: ProbeOutcome, run: ProbeRun): void;
}

export interface CheckSchedule {
  delayMs: number;
  intervalMs: number;
  /** 0 = no deadline. */
  timeoutMs: number;
}

export interface CheckSchedulerOptions {
  clock: Clock;
  random?: () => number;
  maxInFlight?: number;
  jitterFraction?: number;
  /** Called for every probe start (metrics, benchmark). */
  onStart?: (lateMs: number) => void;
  /** A job's onOutcome threw; the check keeps its schedule. Default: a process warning. */
  onJobError?: (err: unknown) => void;
}

type EntryState = 'waiting' | 'queued' | 'running' | 'idle' | 'paused' | 'stopped';

interface Running {
  gen: number;
  controller: AbortController;
  timer: TimerHandle | undefined;
  dueAt: number;
  startedAt: number;
  /** clock.monotonic() at the start, for latencyMs. */
  startedMono: number;
}

export interface ScheduledCheck {
  readonly state: EntryState;
  /** When the next probe is due (undefined unless waiting or queued). */
  readonly dueAt: number | undefined;
  pause(): void;
  resume(): void;
  stop(): void;
}

class Entry implements ScheduledCheck {
  state: EntryState = 'waiting';
  dueAt = 0;
  seq = 0;
  heapIndex = -1;
  gen = 0;
  queueToken = 0;
  running: Running | undefined;
  controller: AbortController | undefined;

  constructor(
    readonly scheduler: CheckScheduler,
    readonly job: ProbeJob,
    readonly schedule: CheckSchedule,
  ) {}

  pause(): void {
    this.scheduler.pauseEntry(this, 'paused');
  }
  resume(): void {
    this.scheduler.resumeEntry(this);
  }
  stop(): void {
    this.scheduler.pauseEntry(this, 'stopped');
  }
}

export class CheckScheduler {
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #maxInFlight: number;
  readonly #jitter: number;
  readonly #onStart: ((lateMs: number) => void) | undefined;
  readonly #onJobError: (err: unknown) => void;
  readonly #heap: Entry[] = [];
  #queue: Array<{ entry: Entry; token: number }> = [];
  #queueHead = 0;
  #seq = 0;
  #inFlight = 0;
  #timer: TimerHandle | undefined;
  #armedAt = Infinity;

  constructor(options: CheckSchedulerOptions) {
    this.#clock = options.clock;
    this.#random = options.random ?? Math.random;
    this.#maxInFlight = options.maxInFlight ?? 64;
    if (!Number.isInteger(this.#maxInFlight) || this.#maxInFlight < 1) throw new RangeError(`maxInFlight must be an integer >= 1, got ${options.maxInFlight}`);
    this.#jitter = options.jitterFraction ?? 0.1;
    this.#onStart = options.onStart;
    this.#onJobError = options.onJobError ?? ((err) => process.emitWarning(`check outcome handler failed: ${(err as Error)?.stack ?? String(err)}`));
  }

  get clock(): Clock {
    return this.#clock;
  }
  get inFlight(): number {
    return this.#inFlight;
  }
  get queued(): number {
    let n = 0;
    for (let i = this.#queueHead; i < this.#queue.length; i++) if (this.#queue[i]!.token === this.#queue[i]!.entry.queueToken && this.#queue[i]!.entry.state === 'queued') n++;
    return n;
  }
  get waiting(): number {
    return this.#heap.length;
  }

  /**
   * Registers a check; its first probe is due `delayMs` + jitter from now (a delay of 0
   * included, so that tasks launched together start apart), or exactly at `delayMs` with
   * `immediate` (readiness checks probe at once, as Marathon).
   */
  add(job: ProbeJob, schedule: CheckSchedule, options: { immediate?: boolean } = {}): ScheduledCheck {
    const entry = new Entry(this, job, schedule);
    this.#enqueueAt(entry, schedule.delayMs, !options.immediate);
    return entry;
  }

  /** Starts every probe that is due (as far as the in-flight cap allows); returns how many. */
  tick(): number {
    const now = this.#clock.now();
    let started = 0;
    started += this.#drainQueue();
    while (this.#heap.length > 0 && this.#heap[0]!.dueAt <= now) {
      const entry = this.#heapPop();
      if (this.#inFlight < this.#maxInFlight && this.#queueLength() === 0) {
        this.#start(entry);
        started++;
      } else {
        entry.state = 'queued';
        this.#queue.push({ entry, token: ++entry.queueToken });
      }
    }
    this.#arm();
    return started;
  }

  pauseEntry(entry: Entry, to: 'paused' | 'stopped'): void {
    if (entry.state === 'stopped') return;
    if (entry.state === 'waiting') this.#heapRemove(entry);
    if (entry.state === 'queued') entry.queueToken++;
    if (entry.state === 'running') this.#release(entry, true);
    entry.state = to;
    this.#drainQueue();
    this.#arm();
  }

  resumeEntry(entry: Entry): void {
    if (entry.state !== 'paused') return;
    // Mesos probes at once on resume.
    this.#enqueueAt(entry, 0, false);
  }

  #jittered(ms: number, interval: number): number {
    if (interval === 0 || this.#jitter === 0) return ms;
    return ms + this.#random() * this.#jitter * interval;
  }

  #enqueueAt(entry: Entry, waitMs: number, jitter: boolean): void {
    entry.state = 'waiting';
    entry.dueAt = this.#clock.now() + (jitter ? this.#jittered(waitMs, entry.schedule.intervalMs) : waitMs);
    entry.seq = ++this.#seq;
    this.#heapPush(entry);
    this.#arm();
  }

  #start(entry: Entry): void {
    const now = this.#clock.now();
    const gen = ++entry.gen;
    // One controller per check, replaced only once aborted: probes end normally almost
    // always, and an AbortController per probe was a measurable part of a probe's CPU.
    let controller = entry.controller;
    if (!controller || controller.signal.aborted) entry.controller = controller = new AbortController();
    const running: Running = { gen, controller, timer: undefined, dueAt: entry.dueAt, startedAt: now, startedMono: this.#clock.monotonic() };
    entry.running = running;
    entry.state = 'running';
    this.#inFlight++;
    this.#onStart?.(now - entry.dueAt);
    const { timeoutMs } = entry.schedule;
    if (timeoutMs > 0) {
      running.timer = this.#clock.setTimeout(() => {
        this.#finish(entry, gen, probeError('TIMEOUT', `timed out after ${formatMs(timeoutMs)}`));
      }, timeoutMs);
    }
    let promise: Promise<ProbeOutcome>;
    try {
      promise = entry.job.run(controller.signal);
    } catch (err) {
      promise = Promise.resolve(probeError('NETWORK', (err as Error).message));
    }
    promise.then(
      (outcome) => this.#finish(entry, gen, outcome),
      (err: unknown) => this.#finish(entry, gen, probeError('NETWORK', (err as Error)?.message ?? String(err))),
    );
  }

  /** Frees the in-flight slot of a running entry; `abort` also aborts the probe. */
  #release(entry: Entry, abort: boolean): Running | undefined {
    const running = entry.running;
    if (!running) return undefined;
    entry.running = undefined;
    this.#clock.clearTimeout(running.timer);
    this.#inFlight--;
    if (abort) running.controller.abort();
    return running;
  }

  #finish(entry: Entry, gen: number, outcome: ProbeOutcome): void {
    if (entry.running?.gen !== gen || entry.state !== 'running') return; // stale: paused, stopped or timed out
    const timedOut = outcome.kind === 'error' && outcome.code === 'TIMEOUT';
    // On timeout the probe is still running: abort it (COMMAND: SIGKILL to its group).
    const running = this.#release(entry, timedOut)!;
    const endedAt = this.#clock.now();
    const latencyMs = this.#clock.monotonic() - running.startedMono;
    entry.state = 'idle';
    try {
      entry.job.onOutcome(outcome, {
        dueAt: running.dueAt,
        startedAt: running.startedAt,
        endedAt,
        lateMs: running.startedAt - running.dueAt,
        latencyMs,
      });
    } catch (err) {
      // A broken consumer must not stop this check, or others, from being scheduled.
      this.#onJobError(err);
    }
    // onOutcome may have paused or stopped this check (kill decided, readiness reached).
    if (entry.state === 'idle') this.#enqueueAt(entry, entry.schedule.intervalMs, true);
    this.#drainQueue();
    this.#arm();
  }

  #queueLength(): number {
    return this.#queue.length - this.#queueHead;
  }

  #drainQueue(): number {
    let started = 0;
    while (this.#inFlight < this.#maxInFlight && this.#queueHead < this.#queue.length) {
      const { entry, token } = this.#queue[this.#queueHead++]!;
      if (token !== entry.queueToken || entry.state !== 'queued') continue;
      this.#start(entry);
      started++;
    }
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
    return started;
  }

  /** Keeps exactly one clock timer, set for the earliest due entry. */
  #arm(): void {
    const head = this.#heap[0];
    const at = head ? head.dueAt : Infinity;
    if (at === this.#armedAt) return;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = at;
    if (at === Infinity) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#armedAt = Infinity;
      this.tick();
    }, Math.max(0, at - this.#clock.now()));
  }

  // --- indexed binary min-heap on (dueAt, seq) ---
  #less(a: Entry, b: Entry): boolean {
    return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq);
  }
  #swap(i: number, j: number): void {
    const h = this.#heap;
    const a = h[i]!;
    const b = h[j]!;
    h[i] = b;
    h[j] = a;
    b.heapIndex = i;
    a.heapIndex = j;
  }
  #up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(this.#heap[i]!, this.#heap[p]!)) break;
      this.#swap(i, p);
      i = p;
    }
  }
  #down(i: number): void {
    const h = this.#heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }
  #heapPush(e: Entry): void {
    e.heapIndex = this.#heap.length;
    this.#heap.push(e);
    this.#up(e.heapIndex);
  }
  #heapPop(): Entry {
    const top = this.#heap[0]!;
    this.#heapRemove(top);
    return top;
  }
  #heapRemove(e: Entry): void {
    const i = e.heapIndex;
    if (i < 0) return;
    const last = this.#heap.length - 1;
    if (i !== last) this.#swap(i, last);
    this.#heap.pop();
    e.heapIndex = -1;
    if (i < this.#heap.length) {
      this.#up(i);
      this.#down(i);
    }
  }
}

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
