import t from 'tap';
import { ManualClock } from '../../common/clock.js';
import { CheckScheduler, type ProbeRun } from '../../checks/scheduler.js';
import type { ProbeOutcome } from '../../checks/outcome.js';

const OK: ProbeOutcome = { kind: 'result', result: { type: 'TCP', succeeded: true } };
// Lets promise callbacks (probe settlement) run; no wall-clock time is involved.
const flush = () => new Promise<void>((r) => setImmediate(r));

/** A probe whose completion the test controls; records start times on the manual clock. */
function controlledJob(clock: ManualClock) {
  const starts: number[] = [];
  const outcomes: Array<{ outcome: ProbeOutcome; run: ProbeRun }> = [];
  const pending: Array<{ resolve: (o: ProbeOutcome) => void; signal: AbortSignal }> = [];
  return {
    starts,
    outcomes,
    pending,
    finishAll(o: ProbeOutcome = OK) {
      for (const p of pending.splice(0)) p.resolve(o);
    },
    job: {
      run(signal: AbortSignal) {
        starts.push(clock.now());
        return new Promise<ProbeOutcome>((resolve) => pending.push({ resolve, signal }));
      },
      onOutcome(outcome: ProbeOutcome, run: ProbeRun) {
        outcomes.push({ outcome, run });
      },
    },
  };
}

function instantJob(clock: ManualClock, durationMs = 0) {
  const starts: number[] = [];
  const outcomes: ProbeOutcome[] = [];
  return {
    starts,
    outcomes,
    job: {
      run() {
        starts.push(clock.now());
        if (durationMs === 0) return Promise.resolve(OK);
        return new Promise<ProbeOutcome>((resolve) => clock.setTimeout(() => resolve(OK), durationMs));
      },
      onOutcome(o: ProbeOutcome) {
        outcomes.push(o);
      },
    },
  };
}

// Settles everything due at the current instant: probes that end now, and probes that are
// due now because of them (interval 0, resume).
async function settle(clock: ManualClock) {
  for (let i = 0; i < 3; i++) {
    clock.advance(0);
    await flush();
  }
}

async function advance(clock: ManualClock, ms: number, step = ms) {
  await settle(clock);
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done));
    await settle(clock);
  }
}

t.test('first probe at t0 + delay, then interval after each probe ends (fixed delay)', async (t) => {
  const clock = new ManualClock(0);
  const s = new CheckScheduler({ clock, random: () => 0 });
  const j = instantJob(clock, 2000); // every probe takes 2 s
  s.add(j.job, { delayMs: 5000, intervalMs: 10000, timeoutMs: 0 });
  await advance(clock, 4999);
  t.same(j.starts, [], 'nothing before the delay');
  await advance(clock, 1);
  t.same(j.starts, [5000], 'first probe exactly at delay');
  await advance(clock, 60000, 500);
  // 5000 start, ends 7000, next 17000, ends 19000, next 29000 ...
  t.same(j.starts, [5000, 17000, 29000, 41000, 53000, 65000]);
});

t.test('interval 0: back-to-back probes', async (t) => {
  const clock = new ManualClock(0);
  const s = new CheckScheduler({ clock, random: () => 0.5 });
  const j = instantJob(clock, 100);
  const c = s.add(j.job, { delayMs: 0, intervalMs: 0, timeoutMs: 0 });
  await advance(clock, 1000, 50);
  t.same(j.starts, [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000], 'jitter is a fraction of the interval, so none here');
  c.stop();
});

t.test('jitter: up to 10% of the interval, from the injected random, bounds included', async (t) => {
  // The first delay (0 here) is jittered too; each later wait is interval + jitter.
  for (const [r, expected] of [[0, [0, 10000, 20000]], [0.5, [500, 11000, 21500]], [0.999, [999, 11998]]] as const) {
    const clock = new ManualClock(0);
    const s = new CheckScheduler({ clock, random: () => r });
    const j = instantJob(clock);
    s.add(j.job, { delayMs: 0, intervalMs: 10000, timeoutMs: 0 });
    await advance(clock, 22000, 1);
    t.same(j.starts, expected, `random() = ${r}`);
  }
  const clock = new ManualClock(0);
  const s = new CheckScheduler({ clock, random: () => 0.999 });
  const j = instantJob(clock);
  s.add(j.job, { delayMs: 1000, intervalMs: 10000, timeoutMs: 0 });
  await advance(clock, 2000, 1);
  t.same(j.starts, [1999], 'a non-zero delay is jittered by up to 10% of the interval too');
  const c2 = new ManualClock(0);
  const s2 = new CheckScheduler({ clock: c2, random: () => 0.999 });
  const j2 = instantJob(c2);
  s2.add(j2.job, { delayMs: 0, intervalMs: 10000, timeoutMs: 0 }, { immediate: true });
  await advance(c2, 0);
  t.same(j2.starts, [0], 'immediate: the first probe is not jittered (readiness)');
});

t.test('timeout aborts the probe and reports TIMEOUT; a late result is discarded', async (t) => {
  const clock = new ManualClock(0);
  const s = new CheckScheduler({ clock, random: () => 0 });
  const j = controlledJob(clock);
  s.add(j.job, { delayMs: 0, intervalMs: 1000, timeoutMs: 3000 });
  await advance(clock, 0);
  t.equal(j.pending.length, 1);
  await advance(clock, 2999);
  t.equal(j.outcomes.length, 0, 'not yet');
  t.notOk(j.pending[0]!.signal.aborted);
  await advance(clock, 1);
  t.equal(j.outcomes.length, 1);
  t.match(j.outcomes[0]!.outcome, { kind: 'error', code: 'TIMEOUT', message: 'timed out after 3s' });
  t.equal(j.outcomes[0]!.run.latencyMs, 3000);
  t.ok(j.pending[0]!.signal.aborted, 'probe aborted (socket torn down, command group killed)');
  j.finishAll(); // the aborted probe settles late: ignored
  await flush();
  t.equal(j.outcomes.length, 1);
  t.equal(s.inFlight, 0);
  await advance(clock, 1000);
  t.same(j.starts, [0, 4000], 'next probe one interval after the timeout');
});

t.test('timeout 0 waits forever', async (t) => {
  const clock = new ManualClock(0);
  const s = new CheckScheduler({ clock });
  const j = controlledJob(clock);
  const c = s.add(j.job, { delayMs: 0, intervalMs: 1000, timeoutMs: 0 });
  await advance(clock, 3_600_000, 60_000);
  t.equal(j.outcomes.length, 0);
  t.equal(j.starts.length, 1);
  c.stop();
  t.ok(j.pending[0]!.signal.aborted, 'stop aborts the probe in flight');
});

t.test('pause discards a result in flight, resume probes at once then keeps the interval', async (t) => {
  const clock = new ManualClock(0);
  const s = new CheckScheduler({ clock, random: () => 0 });
  const j = controlledJob(clock);
  const c = s.add(j.job, { delayMs: 0, intervalMs: 5000, timeoutMs: 0 });
  await advance(clock, 0);
  c.pause();
  t.equal(c.state, 'paused');
  t.ok(j.pending[0]!.signal.aborted);
  j.finishAll();
  await flush();
  t.equal(j.outcomes.length, 0, 'result that landed while paused is discarded');
  await advance(clock, 60000, 1000);
  t.same(j.starts, [0], 'no probes while paused');
  c.resume();
  await advance(clock, 0);
  t.same(j.starts, [0, 60000], 'resume: immediate probe');
  clock.advance(200);
  j.finishAll();
  await flush();
  await advance(clock, 5000, 100);
  t.same(j.starts, [0, 60000, 65200]);
  t.equal(j.outcomes.length, 1);
  c.stop();
  c.resume();
  await advance(clock, 60000, 5000);
  t.equal(j.starts.length, 3, 'stop is final');
  t.equal(clock.pending, 0, 'no timer left behind');
});

t.test('in-flight cap: due probes queue in order and start as slots free', async (t) => {
  const clock = new ManualClock(0);
  const s = new CheckScheduler({ clock, random: () => 0, maxInFlight: 2, batchWindowMs: 10 }); // the window the times below assume
  const jobs = [0, 1, 2, 3, 4].map(() => controlledJob(clock));
  jobs.forEach((j, i) => s.add(j.job, { delayMs: i, intervalMs: 1000, timeoutMs: 0 }));
  await advance(clock, 10, 1);
  t.same(jobs.map((j) => j.starts.length), [1, 1, 0, 0, 0]);
  t.equal(s.inFlight, 2);
  t.equal(s.queued, 3);
  jobs[0]!.finishAll();
  await flush();
  t.same(jobs.map((j) => j.starts.length), [1, 1, 1, 0, 0], 'the longest-waiting one starts');
  t.equal(jobs[2]!.starts[0], 10);
  jobs[2]!.finishAll();
  jobs[1]!.finishAll();
  await flush();
  t.same(jobs.map((j) => j.starts.length), [1, 1, 1, 1, 1]);
  t.equal(s.inFlight, 2);
  t.equal(s.queued, 0);
});

t.test('no drift over hours: a late timer does not shift later probes', async (t) => {
  const clock = new ManualClock(0);
  const s = new CheckScheduler({ clock, random: () => 0 });
  const j = instantJob(clock);
  const late: number[] = [];
  s.add({ ...j.job, onOutcome: (_o, run) => late.push(run.lateMs) }, { delayMs: 0, intervalMs: 1000, timeoutMs: 0 });
  // Advance in uneven steps for 3 hours: each probe starts at the first step at/after its due time.
  await advance(clock, 3 * 3600 * 1000, 1000);
  t.equal(j.starts.length, 3 * 3600 + 1);
  t.equal(j.starts.at(-1), 3 * 3600 * 1000);
  t.equal(Math.max(...late), 0);
});

t.test('many checks on one timer: only one clock timer is armed', async (t) => {
  const clock = new ManualClock(0);
  const s = new CheckScheduler({ clock, random: Math.random, maxInFlight: 1000 });
  const counts: number[] = [];
  for (let i = 0; i < 500; i++) {
    const j = instantJob(clock);
    s.add(j.job, { delayMs: 1000, intervalMs: 1000, timeoutMs: 0 });
    counts.push(0);
    (j.starts as unknown as { push: (n: number) => void }).push = () => void counts[i]!++;
  }
  t.equal(clock.pending, 1);
  await advance(clock, 10000, 10);
  t.ok(counts.every((c) => c >= 8 && c <= 10), `each check ran 8..10 times in 10 s (min ${Math.min(...counts)}, max ${Math.max(...counts)})`);
  t.equal(s.inFlight, 0);
});

t.test('bad maxInFlight is a RangeError naming the option', async (t) => {
  t.throws(() => new CheckScheduler({ clock: new ManualClock(), maxInFlight: 0 }), { name: 'RangeError', message: 'maxInFlight must be an integer >= 1, got 0' });
});

t.test('tick() is a single step: it starts what is due and returns how many', async (t) => {
  const clock = new ManualClock(0);
  const s = new CheckScheduler({ clock, random: () => 0 });
  const a = controlledJob(clock);
  const b = controlledJob(clock);
  s.add(a.job, { delayMs: 0, intervalMs: 10, timeoutMs: 0 });
  s.add(b.job, { delayMs: 5, intervalMs: 10, timeoutMs: 0 });
  t.equal(s.tick(), 1);
  t.equal(s.tick(), 0, 'nothing else due');
  t.equal(s.waiting, 1);
});

t.test('a throwing onOutcome is reported and the check keeps its schedule', async (t) => {
  const clock = new ManualClock(0);
  const errors: unknown[] = [];
  const s = new CheckScheduler({ clock, random: () => 0, onJobError: (e) => errors.push(e) });
  const starts: number[] = [];
  s.add({ run: () => (starts.push(clock.now()), Promise.resolve(OK)), onOutcome: () => { throw new Error('consumer bug'); } }, { delayMs: 0, intervalMs: 1000, timeoutMs: 0 });
  await advance(clock, 3000, 500);
  t.same(starts, [0, 1000, 2000, 3000]);
  t.equal(errors.length, 4);
  t.match(errors[0], { message: 'consumer bug' });
});

/** A ManualClock that counts how often a timer of it fired (the scheduler's wake-ups). */
function countingClock() {
  const clock = new ManualClock(0);
  const wakes = { n: 0 };
  const set = clock.setTimeout.bind(clock);
  clock.setTimeout = (cb, ms) => set(() => (wakes.n++, cb()), ms);
  return { clock, wakes };
}

t.test('batched wake-ups: one wake-up starts every probe due within the window, late by at most the window, never early', async (t) => {
  // Table: due times of three checks (their delays), window -> start times and wake-ups.
  const cases: Array<{ delays: number[]; window: number; starts: number[]; wakes: number }> = [
    { delays: [0, 1, 2], window: 0, starts: [0, 1, 2], wakes: 3 },
    { delays: [0, 1, 2], window: 4, starts: [0, 4, 4], wakes: 2 },
    { delays: [0, 1, 9], window: 4, starts: [0, 4, 9], wakes: 3 },
    { delays: [10, 11, 12], window: 4, starts: [10, 14, 14], wakes: 2 },
  ];
  for (const c of cases) {
    const { clock, wakes } = countingClock();
    const s = new CheckScheduler({ clock, random: () => 0, batchWindowMs: c.window });
    const starts: number[] = [];
    for (const d of c.delays) s.add({ run: () => (starts.push(clock.now()), new Promise<ProbeOutcome>(() => {})), onOutcome: () => {} }, { delayMs: d, intervalMs: 1000, timeoutMs: 0 });
    clock.advance(20);
    await flush();
    t.same(starts, c.starts, `delays ${c.delays}, window ${c.window}: starts`);
    t.equal(wakes.n, c.wakes, `delays ${c.delays}, window ${c.window}: wake-ups`);
    t.ok(starts.every((at, i) => at >= c.delays[i]! && at - c.delays[i]! <= c.window), 'never before its due time, at most a window after');
  }
});

t.test('batched wake-ups keep the fixed delay: no probe starts sooner than interval after the previous one ended', async (t) => {
  const { clock } = countingClock();
  const s = new CheckScheduler({ clock, random: Math.random, batchWindowMs: 4, maxInFlight: 1000 }); // no queueing: lateness is the window's alone
  const ends = new Map<number, number>();
  const gaps: number[] = [];
  const late: number[] = [];
  for (let i = 0; i < 200; i++) {
    s.add(
      {
        run: () => {
          const prev = ends.get(i);
          if (prev !== undefined) gaps.push(clock.now() - prev);
          return new Promise<ProbeOutcome>((resolve) => clock.setTimeout(() => resolve(OK), 3 + (i % 7)));
        },
        onOutcome: (_o, run) => {
          ends.set(i, run.endedAt);
          late.push(run.lateMs);
        },
      },
      { delayMs: 0, intervalMs: 100, timeoutMs: 0 },
    );
  }
  await advance(clock, 5000, 1);
  t.ok(gaps.length > 5000, `${gaps.length} intervals observed`);
  t.ok(Math.min(...gaps) >= 100, `shortest wait after a probe ended: ${Math.min(...gaps)} ms (interval 100 ms)`);
  t.ok(Math.max(...late) <= 4, `latest start: ${Math.max(...late)} ms after its due time (window 4 ms)`);
});

t.test('batched wake-ups do not hold back a probe due at once: resume right after a wake-up', async (t) => {
  const clock = new ManualClock(0);
  const s = new CheckScheduler({ clock, random: () => 0, batchWindowMs: 50 });
  const j = controlledJob(clock);
  const c = s.add(j.job, { delayMs: 0, intervalMs: 1000, timeoutMs: 0 });
  await advance(clock, 0);
  c.pause();
  c.resume();
  await advance(clock, 0);
  t.same(j.starts, [0, 0], 'resume probes at once although the last wake-up was just now');
  c.stop();
});

t.test('deadlines share the one timer: many probes in flight with timeouts arm one clock timer, and each times out on time', async (t) => {
  const clock = new ManualClock(0);
  const s = new CheckScheduler({ clock, random: () => 0, maxInFlight: 100, batchWindowMs: 0 });
  const jobs = Array.from({ length: 100 }, () => controlledJob(clock));
  jobs.forEach((j, i) => s.add(j.job, { delayMs: 0, intervalMs: 60_000, timeoutMs: 1000 + i }));
  await advance(clock, 0);
  t.equal(s.inFlight, 100);
  t.equal(clock.pending, 1, 'one timer for 100 deadlines and the next due probe');
  await advance(clock, 1049, 1);
  t.same(jobs.map((j) => j.outcomes.length), jobs.map((_, i) => (i < 50 ? 1 : 0)), 'the first 50 deadlines passed, not the others');
  t.ok(jobs.slice(0, 50).every((j, i) => j.outcomes[0]!.outcome.kind === 'error' && j.outcomes[0]!.run.latencyMs === 1000 + i), 'each timed out at its own deadline');
  jobs.slice(50).forEach((j) => j.finishAll());
  await flush();
  t.equal(s.inFlight, 0);
  t.same(jobs.slice(50).map((j) => j.outcomes[0]!.outcome), jobs.slice(50).map(() => OK), 'those that ended in time report their outcome');
  t.equal(clock.pending, 1, 'only the timer of the next due probe');
});

t.test('AbortControllers are held by running probes only: 1,000 checks share at most maxInFlight signals', async (t) => {
  const clock = new ManualClock(0);
  const s = new CheckScheduler({ clock, random: Math.random, maxInFlight: 8 });
  const signals = new Set<AbortSignal>();
  const checks = Array.from({ length: 1000 }, () => s.add({ run: (signal) => (signals.add(signal), Promise.resolve(OK)), onOutcome: () => {} }, { delayMs: 0, intervalMs: 1000, timeoutMs: 5000 }));
  await advance(clock, 3000, 5);
  t.ok(signals.size <= 8, `${signals.size} distinct signals for 1,000 checks, 3,000+ probes`);
  t.ok(s.spareControllers <= 8);
  t.ok([...signals].every((sig) => !sig.aborted), 'none aborted: probes ended normally');
  for (const c of checks) c.stop();
});

t.test('an abandoned probe that settles later does not end the next probe of its check, even with the same settler reused', async (t) => {
  const clock = new ManualClock(0);
  const s = new CheckScheduler({ clock, random: () => 0 });
  const j = controlledJob(clock);
  const c = s.add(j.job, { delayMs: 0, intervalMs: 1000, timeoutMs: 0 });
  await advance(clock, 0);
  const first = j.pending.shift()!;
  c.pause();
  c.resume();
  await advance(clock, 0);
  t.equal(j.starts.length, 2);
  first.resolve({ kind: 'result', result: { type: 'TCP', succeeded: false } }); // the paused probe's late outcome
  await flush();
  t.equal(j.outcomes.length, 0, 'discarded: it belonged to the paused probe');
  t.equal(c.state, 'running', 'the resumed probe still runs');
  j.finishAll();
  await flush();
  t.same(j.outcomes.map((o) => o.outcome), [OK]);
  c.stop();
});

t.test('bad batchWindowMs is a RangeError naming the option', async (t) => {
  t.throws(() => new CheckScheduler({ clock: new ManualClock(), batchWindowMs: -1 }), { name: 'RangeError', message: 'batchWindowMs must be within 0..1000, got -1' });
  t.throws(() => new CheckScheduler({ clock: new ManualClock(), batchWindowMs: Number.NaN }), { name: 'RangeError' });
});
