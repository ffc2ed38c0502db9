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
  const s = new CheckScheduler({ clock, random: () => 0, maxInFlight: 2 });
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
