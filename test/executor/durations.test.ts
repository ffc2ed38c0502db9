// Every duration setting the executor takes, at the edge of what a duration can be: up to
// MAX_DURATION_MS (int64 nanoseconds, ~292 years) it is accepted as given (the clock arms
// long timers in steps); beyond it, or not a number, it is refused with an error naming
// the setting. Which input and which error: one row each.
import t from 'tap';
import { ManualClock } from '../../common/clock.js';
import { MAX_DURATION_MS, msToDurationInfo } from '../../common/duration.js';
import { parseCheckInfo, parseHealthCheck, parseReadinessCheck } from '../../checks/definitions.js';
import { SubscriptionBackoff, SUBSCRIPTION_BACKOFF_FLOOR_MS } from '../../executor/backoff.js';
import { parseExecutorEnvironment } from '../../executor/env.js';
import { KillEscalation, killGracePeriodMs } from '../../executor/kill-policy.js';
import { SWITCHBOARD_ENV } from '../../contracts/switchboard.js';
import { MAX_HEARTBEAT_INTERVAL_MS, switchboardOptionsFromEnv } from '../../switchboard/config.js';
import { killPolicy, REQUIRED_EXECUTOR_ENV } from '../helpers/tasks.js';

const DAY_MS = 86_400_000;

const base = REQUIRED_EXECUTOR_ENV;

const ENV_SETTINGS = [
  ['MESOS_RECOVERY_TIMEOUT', 'recoveryTimeoutMs'],
  ['MESOS_SUBSCRIPTION_BACKOFF_MAX', 'subscriptionBackoffMaxMs'],
  ['MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD', 'shutdownGracePeriodMs'],
] as const;

t.test('MESOS_* durations: long ones kept as given, unrepresentable ones refused naming the variable', async (t) => {
  const accepted: Array<[string, number]> = [
    ['30days', 30 * DAY_MS],
    ['25days', 25 * DAY_MS],
    ['106751days', 106_751 * DAY_MS],
    ['0ns', 0],
  ];
  const refused: Array<[string, RegExp]> = [
    ['106752days', /must be at most 9223372036854ms/],
    ['99999999999999999999weeks', /must be at most/],
    ['30 days', /is not a Mesos duration/],
    ['-1secs', /is not a Mesos duration/],
  ];
  for (const [variable, field] of ENV_SETTINGS) {
    for (const [text, ms] of accepted) t.equal(parseExecutorEnvironment({ ...base, [variable]: text })[field], ms, `${variable}=${text}`);
    for (const [text, message] of refused) {
      t.throws(() => parseExecutorEnvironment({ ...base, [variable]: text }), { code: 'E_ENVIRONMENT', variable, message: new RegExp(`^${variable}: .*${message.source}`) }, `${variable}=${text} refused`);
    }
  }
});

t.test('MESOS_SUBSCRIPTION_BACKOFF_MAX=0ns: re-subscription delays still reach the floor, so no retry storm', async (t) => {
  for (const [text, max] of [['0ns', SUBSCRIPTION_BACKOFF_FLOOR_MS], ['1ms', SUBSCRIPTION_BACKOFF_FLOOR_MS], ['2secs', 2000]] as const) {
    const config = parseExecutorEnvironment({ ...base, MESOS_SUBSCRIPTION_BACKOFF_MAX: text });
    const backoff = new SubscriptionBackoff(config.subscriptionBackoffMaxMs, () => 1);
    t.equal(backoff.next(), 0, `${text}: first attempt at once`);
    t.equal(backoff.next(), max, `${text}: later ones drawn from [0, ${max}] ms`);
  }
  // With random() uniform, 0ns means on average one attempt per 50 ms, not 600 a second.
  const backoff = new SubscriptionBackoff(0, () => 0.5);
  backoff.next();
  t.equal(backoff.next(), SUBSCRIPTION_BACKOFF_FLOOR_MS / 2);
});

t.test('switchboard heartbeat interval: up to an hour kept, longer refused naming the variable', async (t) => {
  // Heartbeats keep idle streams alive through proxies; an interval over an hour keeps nothing alive.
  const variable = SWITCHBOARD_ENV.heartbeat;
  t.equal(switchboardOptionsFromEnv({ [variable]: String(MAX_HEARTBEAT_INTERVAL_MS) }).heartbeatIntervalMs, MAX_HEARTBEAT_INTERVAL_MS);
  t.throws(() => switchboardOptionsFromEnv({ [variable]: String(30 * DAY_MS) }), { setting: variable, message: /expected an integer from 1 to 3600000, got '2592000000'/ });
  t.throws(() => switchboardOptionsFromEnv({ [variable]: '1'.repeat(400) }), { setting: variable, message: /expected an integer from 1 to 3600000/ }, 'a number that overflows to Infinity');
});

t.test('KillPolicy grace of 25 days: kept whole, SIGKILL at 25 days and not before', async (t) => {
  const grace = killGracePeriodMs(killPolicy(25 * DAY_MS), undefined);
  t.equal(grace, 25 * DAY_MS);
  t.equal(killGracePeriodMs({ grace_period: { nanoseconds: 2n ** 63n - 1n } }, undefined), MAX_DURATION_MS + 0.775807, 'the int64 maximum is a duration too');
  const clock = new ManualClock();
  let killed = 0;
  new KillEscalation(clock, grace, () => killed++);
  clock.advance(25 * DAY_MS - 1);
  t.equal(killed, 0);
  clock.advance(1);
  t.equal(killed, 1);
});

t.test('check and health check delay / interval / timeout / grace: 30 days kept, unrepresentable refused naming the field', async (t) => {
  const thirtyDays = 30 * 86_400;
  const huge = 1e300;
  const command = { command: { value: 'true', shell: true } };
  for (const field of ['delay_seconds', 'interval_seconds', 'timeout_seconds', 'grace_period_seconds'] as const) {
    const hc = parseHealthCheck({ type: 'COMMAND', ...command, [field]: thirtyDays });
    const key = { delay_seconds: 'delayMs', interval_seconds: 'intervalMs', timeout_seconds: 'timeoutMs', grace_period_seconds: 'gracePeriodMs' }[field];
    t.equal((hc as unknown as Record<string, number>)[key], 30 * DAY_MS, `health_check.${field} = 30 days`);
    t.throws(() => parseHealthCheck({ type: 'COMMAND', ...command, [field]: huge }), { code: 'E_CHECK_INVALID', field: `health_check.${field}`, message: /must be at most/ }, `health_check.${field} = 1e300`);
    if (field === 'grace_period_seconds') continue;
    t.throws(() => parseCheckInfo({ type: 'COMMAND', command, [field]: huge }), { code: 'E_CHECK_INVALID', field: `check.${field}`, message: /must be at most/ }, `check.${field} = 1e300`);
  }
  for (const key of ['intervalSeconds', 'timeoutSeconds'] as const) {
    const json = { protocol: 'COMMAND', command: { value: 'true' }, intervalSeconds: 2e300, timeoutSeconds: 1e300 };
    t.throws(() => parseReadinessCheck(json, new Map()), { code: 'E_CHECK_INVALID', message: /must be at most/ }, `readiness ${key} = 1e300`);
  }
});

t.test('max_completion_time: a DurationInfo holds at most MAX_DURATION_MS', async (t) => {
  t.equal(msToDurationInfo(25 * DAY_MS).nanoseconds, 25n * 86_400_000_000_000n);
});
