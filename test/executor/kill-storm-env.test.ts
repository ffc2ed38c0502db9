// The kill-storm guard's settings (MESOS_SIDECAR_KILL_STORM_*) and the switchboard's cap on
// health-kill holds (MESOS_SIDECAR_SWITCHBOARD_MAX_HEALTH_KILL_HOLD): defaults, accepted
// values, and a refusal naming the variable and the bad value for each wrong one.
import t from 'tap';
import { KILL_STORM_ENV, parseExecutorEnvironment, parseKillStorm } from '../../executor/env.js';
import { DEFAULT_KILL_STORM } from '../../executor/health-kill-gate.js';
import { switchboardOptionsFromEnv } from '../../switchboard/config.js';
import { SWITCHBOARD_ENV } from '../../contracts/switchboard.js';
import { parseAcl } from '../../switchboard/acl.js';
import { authorized } from '../../switchboard/acl.js';
import { REQUIRED_EXECUTOR_ENV } from '../helpers/tasks.js';

t.test('kill-storm defaults: more than 50 %, at least 3 tasks, 2 minutes', async (t) => {
  t.same(parseKillStorm({}), { share: 0.5, minTasks: 3, holdOffMs: 120_000 });
  t.same(parseExecutorEnvironment({ ...REQUIRED_EXECUTOR_ENV }).killStorm, DEFAULT_KILL_STORM);
  t.same(parseKillStorm({ [KILL_STORM_ENV.share]: '0.75', [KILL_STORM_ENV.minTasks]: '5', [KILL_STORM_ENV.holdOff]: '30secs' }), { share: 0.75, minTasks: 5, holdOffMs: 30_000 });
  t.same(parseKillStorm({ [KILL_STORM_ENV.share]: '1' }).share, 1, '1 turns the guard off');
});

t.test('bad kill-storm settings name the variable and the value', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    [KILL_STORM_ENV.share, '0', /^MESOS_SIDECAR_KILL_STORM_SHARE: expected a fraction above 0 and at most 1 .*got '0'$/],
    [KILL_STORM_ENV.share, '50%', /got '50%'$/],
    [KILL_STORM_ENV.share, '1.5', /got '1\.5'$/],
    [KILL_STORM_ENV.minTasks, '0', /^MESOS_SIDECAR_KILL_STORM_MIN_TASKS: expected an integer from 1 to 100000, got '0'$/],
    [KILL_STORM_ENV.minTasks, 'three', /got 'three'$/],
    [KILL_STORM_ENV.holdOff, '2', /^MESOS_SIDECAR_KILL_STORM_HOLD_OFF: "2" is not a Mesos duration/],
    [KILL_STORM_ENV.holdOff, '2days', /^MESOS_SIDECAR_KILL_STORM_HOLD_OFF: must be at most 1days, got '2days'$/],
  ];
  for (const [variable, value, message] of cases) t.throws(() => parseKillStorm({ [variable]: value }), { message }, `${variable}=${value}`);
});

t.test('the switchboard cap on holds: default unset (1 hour in the switchboard), a duration up to 7days', async (t) => {
  const base = { [SWITCHBOARD_ENV.credentials]: '' };
  t.equal(switchboardOptionsFromEnv(base).maxHealthKillHoldMs, undefined);
  t.equal(switchboardOptionsFromEnv({ ...base, [SWITCHBOARD_ENV.maxHealthKillHold]: '15mins' }).maxHealthKillHoldMs, 900_000);
  for (const bad of ['0secs', '8days']) {
    t.throws(() => switchboardOptionsFromEnv({ ...base, [SWITCHBOARD_ENV.maxHealthKillHold]: bad }), { message: new RegExp(`MESOS_SIDECAR_SWITCHBOARD_MAX_HEALTH_KILL_HOLD.*got '${bad}'`) }, bad);
  }
  t.throws(() => switchboardOptionsFromEnv({ ...base, [SWITCHBOARD_ENV.maxHealthKillHold]: 'soon' }), { message: /MESOS_SIDECAR_SWITCHBOARD_MAX_HEALTH_KILL_HOLD: "soon" is not a Mesos duration/ });
});

t.test('HOLD_HEALTH_KILLS is an ACL action of its own, granted per task pattern', async (t) => {
  const acl = parseAcl({ principals: { ops: { calls: ['HOLD_HEALTH_KILLS'], tasks: ['web-*'] }, viewer: { calls: ['LAUNCH_NESTED_CONTAINER_SESSION'], tasks: ['*'] } } }, 'acl');
  t.ok(authorized(acl, 'ops', 'HOLD_HEALTH_KILLS', 'web-1'));
  t.notOk(authorized(acl, 'ops', 'HOLD_HEALTH_KILLS', 'db-1'), 'not on tasks outside its patterns');
  t.notOk(authorized(acl, 'viewer', 'HOLD_HEALTH_KILLS', 'web-1'), 'exec permission alone does not hold kills');
});
