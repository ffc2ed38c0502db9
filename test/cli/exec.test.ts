// `mesos-sidecar exec` behaves like `docker exec`: the real CLI against a real switchboard
// (test/switchboard/harness.ts), with pipes or under a node-pty terminal.
import t from 'tap';
import { requireRoot } from '../helpers/wait.js';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { environmentFromFlags, USAGE as EXEC_USAGE } from '../../cli/exec.js';
import { USAGE as ATTACH_USAGE } from '../../cli/attach.js';
import { parseAcl } from '../../switchboard/acl.js';
import { runCli, Terminal, wrap } from '../helpers/cli.js';
import { cliEnv, processGone, startFixture, TOKEN, until } from '../switchboard/harness.js';


t.test('without -i the remote stdin is at EOF at once: `exec TASK -- cat` ends with exit 0', async (t) => {
  const fx = await startFixture(t);
  fx.task('web', 'sleep 1000');
  // Before the fix each of these hung until the deadline (cat waiting on an open stdin).
  for (const stdin of ['open', 'null'] as const) {
    for (const flags of [[], ['-t']]) {
      const what = `exec ${[...flags, 'web'].join(' ')} -- cat, local stdin ${stdin === 'open' ? 'an open pipe nobody writes' : '</dev/null'}`;
      const run = await runCli(['exec', ...flags, 'web', '--', 'cat'], cliEnv(fx), stdin, 10_000);
      t.equal(run.code, 0, `${what}: exit 0`);
      t.equal(run.stdout, '', `${what}: no output`);
    }
  }
  const read = await runCli(['exec', 'web', '--', 'sh', '-c', 'read line; echo "read=$?"'], cliEnv(fx), 'open', 10_000);
  t.equal(read.stdout, 'read=1\n', 'a shell `read` sees EOF (status 1)');
  const term = new Terminal(wrap('exec -t web -- cat'), cliEnv(fx));
  t.teardown(() => term.term.kill('SIGKILL'));
  await term.expect('END', 10_000);
  t.match(term.text, 'rc=0', 'exec -t TASK -- cat under a local terminal, without -i: exit 0');
});

t.test('-e NAME=VALUE sets CommandInfo.environment; -e NAME passes the local value', async (t) => {
  const fx = await startFixture(t);
  fx.task('web', 'sleep 1000');
  const run = await runCli(['exec', '-e', 'FOO=bar', '--env', 'EQ=a=b', '-e', 'EMPTY=', '-e', 'LOCAL', '-e', 'UNSET_X', 'web', '--', 'sh', '-c', 'echo "$FOO|$EQ|$EMPTY|$LOCAL|${UNSET_X-unset}"'], { ...cliEnv(fx), LOCAL: 'from-cli' });
  t.equal(run.code, 0);
  t.equal(run.stdout, 'bar|a=b||from-cli|unset\n');
  const bad = await runCli(['exec', '-e', '=x', 'web', '--', 'true'], cliEnv(fx));
  t.equal(bad.code, 2, "-e '=x' (no name) is a usage error");
  t.match(bad.stderr, "-e expects NAME=VALUE or NAME, got '=x'");
});

t.test('environmentFromFlags: docker -e forms', async (t) => {
  const local = { HERE: 'local value' };
  const cases: [string, { name: string; value: string }[] | 'usage'][] = [
    ['A=b', [{ name: 'A', value: 'b' }]],
    ['A=', [{ name: 'A', value: '' }]],
    ['A=b=c', [{ name: 'A', value: 'b=c' }]],
    ['HERE', [{ name: 'HERE', value: 'local value' }]],
    ['NOT_HERE', []],
    ['=b', 'usage'],
    ['', 'usage'],
    ['A B=c', 'usage'],
  ];
  for (const [flag, expected] of cases) {
    if (expected === 'usage') t.throws(() => environmentFromFlags([flag], local), { code: 'E_USAGE' }, `-e '${flag}' -> usage error`);
    else t.same(environmentFromFlags([flag], local), expected.map((v) => ({ ...v, type: 'VALUE' })), `-e '${flag}'`);
  }
});

t.test('not found exits 127, not executable 126, with and without -t', async (t) => {
  const fx = await startFixture(t);
  fx.task('web', 'sleep 1000');
  writeFileSync(path.join(fx.sandbox, 'script.sh'), '#!/bin/sh\necho hi\n', { mode: 0o644 });
  // Every kind of failure and its exact message: test/switchboard/sessions.test.ts.
  const cases: [string, number, string][] = [
    ['no-such-command-x', 127, "Failed to execute 'no-such-command-x': No such file or directory"],
    ['./script.sh', 126, "Failed to execute './script.sh': Permission denied"],
  ];
  for (const flags of [[], ['-t']]) {
    for (const [command, code, message] of cases) {
      const run = await runCli(['exec', ...flags, 'web', '--', command], cliEnv(fx));
      t.equal(run.code, code, `exec ${[...flags, 'web'].join(' ')} -- ${command}: exit ${code}`);
      // Without a TTY the message is the command's stderr; with one, the terminal's output.
      t.match(flags.length ? run.stdout : run.stderr, message, `${command}: says why`);
    }
  }
});

t.test('-u USER runs as USER only with a "users" grant; the audit line names the user', async (t) => {
  if (!requireRoot(t, 'switching users')) return;
  const fx = await startFixture(t, {
    auth: { tokens: [{ principal: 'ops', token: TOKEN }, { principal: 'dev', token: 'dev-token-0123' }] },
    acl: parseAcl({ principals: { ops: { calls: ['*'], tasks: ['*'], users: ['nobody'] }, dev: { calls: ['*'], tasks: ['*'] } } }, 'test acl'),
  });
  chmodSync(fx.sandbox, 0o755);
  fx.task('web', 'sleep 1000'); // runs as the executor's user: root
  const granted = await runCli(['exec', '-u', 'nobody', 'web', '--', 'id', '-un'], cliEnv(fx));
  t.equal(granted.code, 0, 'ops has users ["nobody"]');
  t.equal(granted.stdout, 'nobody\n');
  const audit = fx.logs.find((l) => l.audit === true && l.msg === 'session started' && l.command === 'id -un');
  t.match(audit, { principal: 'ops', user: 'nobody', task: 'web' }, 'the audit line records the user');

  const refused = await runCli(['exec', '-u', 'nobody', 'web', '--', 'id', '-un'], cliEnv(fx, 'dev-token-0123'));
  t.equal(refused.code, 1, 'dev has no users grant: refused');
  t.match(refused.stderr, "could not start the command (403): Principal 'dev' may not run sessions as user 'nobody' (task 'web' runs as 'root')");
  const other = await runCli(['exec', '--user', 'daemon', 'web', '--', 'id', '-un'], cliEnv(fx));
  t.equal(other.code, 1, 'ops may become nobody, not daemon');
  t.match(other.stderr, "(403): Principal 'ops' may not run sessions as user 'daemon'");
  const own = await runCli(['exec', '-u', 'root', 'web', '--', 'id', '-un'], cliEnv(fx, 'dev-token-0123'));
  t.equal(own.stdout, 'root\n', "the task's own user needs no grant");
});

t.test('--help: Ctrl-P Ctrl-Q ends an exec session (and does so), detaches an attach', async (t) => {
  const help = await runCli(['exec', '--help'], {});
  t.equal(help.code, 0);
  t.equal(help.stdout, `${EXEC_USAGE}\n`);
  t.match(EXEC_USAGE, /Ctrl-P Ctrl-Q ends the session/);
  t.notMatch(EXEC_USAGE, /detach/, 'exec help never promises a detach');
  t.match(EXEC_USAGE, /-u, --user USER/);
  t.match(EXEC_USAGE, /-e, --env NAME=VALUE/);
  t.match(ATTACH_USAGE, /Ctrl-P Ctrl-Q detaches and leaves the task running/);

  const fx = await startFixture(t);
  fx.task('web', 'sleep 1000');
  const term = new Terminal(wrap("exec -it web -- sh -c 'echo pid=$$; exec sleep 1000'"), cliEnv(fx));
  t.teardown(() => term.term.kill('SIGKILL'));
  const pid = Number((await term.expect(/pid=\d+/)).slice(4));
  term.term.write('\x10\x11');
  t.equal((await term.cliExit()).code, 0, 'Ctrl-P Ctrl-Q: exit 0');
  await until(() => processGone(pid), 'the session to end with its connection');
  t.pass('the remote process is gone: the session ended');
});
