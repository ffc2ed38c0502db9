// Timers longer than Node can arm (2^31-1 ms, 24.8 days): Node would fire them after 1 ms,
// so a 25-day kill grace SIGKILLed at once. Step tests on ManualClock, and the stepping
// SystemClock driven through a host whose timers refuse anything over the Node limit.
import t from 'tap';
import { MAX_TIMER_STEP_MS, ManualClock, SteppedClock, systemClock, type HostTimers } from '../../common/clock.js';

const DAY_MS = 86_400_000;

/** Host timers on a ManualClock that, like Node, cannot arm more than MAX_TIMER_STEP_MS. */
function strictHost(manual: ManualClock): HostTimers & { steps: number[] } {
  const steps: number[] = [];
  return {
    steps,
    setTimeout: (callback, ms) => {
      if (ms > MAX_TIMER_STEP_MS) throw new RangeError(`host timer of ${ms} ms would overflow`);
      steps.push(ms);
      return manual.setTimeout(callback, ms);
    },
    clearTimeout: (timer) => manual.clearTimeout(timer as ReturnType<ManualClock['setTimeout']>),
    monotonicNow: () => manual.now(),
    now: () => manual.now(),
  };
}

t.test('ManualClock: a 25-day timer fires at 25 days and not before', async (t) => {
  const clock = new ManualClock();
  let fired = 0;
  clock.setTimeout(() => fired++, 25 * DAY_MS);
  clock.advance(25 * DAY_MS - 1);
  t.equal(fired, 0, 'not at 25 days - 1 ms');
  clock.advance(1);
  t.equal(fired, 1, 'at 25 days');
});

t.test('SteppedClock: a 25-day timer is armed in steps the host accepts and fires at 25 days', async (t) => {
  const manual = new ManualClock();
  const host = strictHost(manual);
  const clock = new SteppedClock(host);
  let fired = 0;
  clock.setTimeout(() => fired++, 25 * DAY_MS);
  manual.advance(MAX_TIMER_STEP_MS);
  t.equal(fired, 0, 'the first step ending (24.8 days) does not fire it');
  manual.advance(25 * DAY_MS - MAX_TIMER_STEP_MS - 1);
  t.equal(fired, 0, 'not at 25 days - 1 ms');
  manual.advance(1);
  t.equal(fired, 1, 'at 25 days');
  t.same(host.steps, [MAX_TIMER_STEP_MS, 25 * DAY_MS - MAX_TIMER_STEP_MS], 'one full step, then the rest');
});

t.test('SteppedClock: clearing a long timer in its second step stops it; short timers are armed once', async (t) => {
  const manual = new ManualClock();
  const host = strictHost(manual);
  const clock = new SteppedClock(host);
  let fired = 0;
  const long = clock.setTimeout(() => fired++, 60 * DAY_MS);
  manual.advance(30 * DAY_MS);
  clock.clearTimeout(long);
  manual.advance(60 * DAY_MS);
  t.equal(fired, 0, 'cleared after a re-arm: never fires');
  t.equal(manual.pending, 0, 'no host timer left');
  host.steps.length = 0;
  clock.setTimeout(() => fired++, 1500);
  manual.advance(1500);
  t.equal(fired, 1);
  t.same(host.steps, [1500]);
  const never = clock.setTimeout(() => fired++, Infinity);
  manual.advance(1000 * DAY_MS);
  t.equal(fired, 1, 'Infinity never fires');
  clock.clearTimeout(never);
});

t.test('both clocks refuse a NaN delay instead of firing it at once', async (t) => {
  t.throws(() => new ManualClock().setTimeout(() => {}, NaN), { name: 'RangeError', message: /got NaN/ });
  t.throws(() => systemClock.setTimeout(() => {}, NaN), { name: 'RangeError', message: /got NaN/ });
});

t.test('systemClock: a 30-day timer has not fired by the time a 20 ms one does', async (t) => {
  let longFired = false;
  const long = systemClock.setTimeout(() => (longFired = true), 30 * DAY_MS);
  t.teardown(() => systemClock.clearTimeout(long));
  await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 20));
  t.equal(longFired, false, 'Node alone would have fired it after 1 ms');
});
