import t from 'tap';
import { ExponentialBackoff, SubscriptionBackoff } from '../../executor/backoff.js';

t.test('re-subscription: at once, then uniform in [0, MESOS_SUBSCRIPTION_BACKOFF_MAX]', async (t) => {
  const draws = [0, 0.5, 1, 0.25];
  const b = new SubscriptionBackoff(2000, () => draws.shift()!);
  t.equal(b.next(), 0, 'first attempt immediately');
  t.equal(b.next(), 0);
  t.equal(b.next(), 1000);
  t.equal(b.next(), 2000, 'never above the cap');
  b.reset();
  t.equal(b.next(), 0, 'reset: immediately again');
});

t.test('call retries: full jitter under a doubling, capped ceiling', async (t) => {
  const b = new ExponentialBackoff({ baseMs: 100, maxMs: 1000, random: () => 1 });
  t.same([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 800, 1000, 1000]);
  b.reset();
  t.equal(b.next(), 100);
  const half = new ExponentialBackoff({ baseMs: 100, maxMs: 1000, random: () => 0.5 });
  t.equal(half.next(), 50);
});

t.test('bad parameters are RangeErrors naming the value', async (t) => {
  t.throws(() => new SubscriptionBackoff(-1), { name: 'RangeError', message: /-1/ });
  t.throws(() => new ExponentialBackoff({ baseMs: 0, maxMs: 10 }), { name: 'RangeError', message: /base must be > 0, got 0/ });
  t.throws(() => new ExponentialBackoff({ baseMs: 10, maxMs: 5 }), { name: 'RangeError', message: /maximum 5 is below its base 10/ });
});
