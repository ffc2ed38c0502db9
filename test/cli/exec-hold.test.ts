// `mesos-sidecar exec --hold-checks DURATION`: the flag becomes the hold header, the hold
// lasts as long as the session (released at its end), is capped by the switchboard's
// maximum, and the CLI says until when; a bad DURATION is a usage error before connecting.
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { cliEnv, startFixture } from '../switchboard/harness.js';

t.test('exec --hold-checks: held until the capped end, released when the session ends', async (t) => {
  const fx = await startFixture(t, { maxHealthKillHoldMs: 60_000 });
  fx.task('web', 'sleep 1000');
  const before = Date.now();
  const run = await runCli(['exec', '--hold-checks', '2hrs', 'web', '--', 'sh', '-c', 'echo inside'], cliEnv(fx), '', 10_000);
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stdout, 'inside\n');
  t.equal(fx.registry.holds.length, 1);
  const [hold] = fx.registry.holds;
  t.match(hold, { taskId: 'web', hold: { principal: 'ops' }, released: true }, 'asked for by the principal, released at the end of the session');
  t.ok(hold!.hold.untilMs >= before + 60_000 && hold!.hold.untilMs <= Date.now() + 60_000, '2hrs capped at the 1-minute maximum');
  t.match(run.stderr, `mesos-sidecar exec: health kills of web held until ${new Date(hold!.hold.untilMs).toISOString()} or the end of this session`);
});

t.test('exec --hold-checks with a bad duration: exit 2 naming the flag, nothing asked', async (t) => {
  const fx = await startFixture(t);
  fx.task('web', 'sleep 1000');
  for (const bad of ['soon', '0secs']) {
    const run = await runCli(['exec', '--hold-checks', bad, 'web', '--', 'true'], cliEnv(fx), '', 10_000);
    t.equal(run.code, 2, bad);
    t.match(run.stderr, /^mesos-sidecar exec: --hold-checks: /);
  }
  t.equal(fx.registry.holds.length, 0);
});
