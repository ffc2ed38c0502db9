import t from 'tap';
import { ManualClock } from '../../common/clock.js';
import { KillEscalation, killGracePeriodMs, shutdownGraceMs } from '../../executor/kill-policy.js';
import { killPolicy } from '../helpers/tasks.js';

t.test('grace: KILL policy, else TaskInfo policy, else 3 s', async (t) => {
  t.equal(killGracePeriodMs(killPolicy(100), killPolicy(5000)), 100);
  t.equal(killGracePeriodMs(undefined, killPolicy(5000)), 5000);
  t.equal(killGracePeriodMs({}, killPolicy(5000)), 5000, 'a KILL policy without grace_period does not count');
  t.equal(killGracePeriodMs(undefined, undefined), 3000);
  t.equal(killGracePeriodMs(killPolicy(0), undefined), 0, 'zero is a real grace');
});

t.test('SHUTDOWN grace is min(task grace, shutdown grace − 2 s), floored at 0', async (t) => {
  t.equal(shutdownGraceMs(10_000, 5000), 3000);
  t.equal(shutdownGraceMs(1000, 5000), 1000);
  t.equal(shutdownGraceMs(3000, 1000), 0);
});

t.test('escalation fires at start + grace on the injected clock', async (t) => {
  const clock = new ManualClock();
  let fired = 0;
  new KillEscalation(clock, 300, () => fired++);
  clock.advance(299);
  t.equal(fired, 0);
  clock.advance(1);
  t.equal(fired, 1);
  clock.advance(10_000);
  t.equal(fired, 1, 'once');
});

t.test('a repeated KILL may only move SIGKILL earlier', async (t) => {
  const clock = new ManualClock();
  let fired = 0;
  const e = new KillEscalation(clock, 1000, () => fired++);
  clock.advance(200);
  t.notOk(e.shorten(5000), 'a longer grace is ignored');
  t.equal(e.deadline, clock.now() - 200 + 1000);
  t.ok(e.shorten(500), 'a shorter one moves the deadline to start + 500');
  clock.advance(299);
  t.equal(fired, 0);
  clock.advance(1);
  t.equal(fired, 1);
});

t.test('a shorter grace already in the past escalates at once; cancel stops it', async (t) => {
  const clock = new ManualClock();
  let fired = 0;
  const e = new KillEscalation(clock, 1000, () => fired++);
  clock.advance(400);
  e.shorten(100);
  clock.advance(0);
  t.equal(fired, 1);
  const c = new KillEscalation(clock, 100, () => fired++);
  c.cancel();
  clock.advance(1000);
  t.equal(fired, 1);
  t.notOk(c.shorten(0), 'nothing to shorten after cancel');
});
