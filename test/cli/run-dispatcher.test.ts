// The dispatcher as a user meets it: the real bin/mesos-sidecar as a child process.
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../bin/mesos-sidecar', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { env: { ...process.env, MESOS_SIDECAR_LOG_LEVEL: 'warn' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

t.test('--version prints the package version', async (t) => {
  const r = await cli(['--version']);
  t.equal(r.code, 0);
  t.equal(r.stdout, `mesos-sidecar ${pkg.version}\n`);
});

t.test('--help lists every command on stdout', async (t) => {
  const r = await cli(['--help']);
  t.equal(r.code, 0);
  for (const c of ['run', 'check', 'exec', 'attach']) t.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
});

t.test('no command: usage on stderr, exit 2', async (t) => {
  const r = await cli([]);
  t.equal(r.code, 2);
  t.match(r.stderr, /^usage: mesos-sidecar <command>/);
  t.equal(r.stdout, '');
});

t.test('unknown command, a path, or a module that is not a command: exit 2 naming it', async (t) => {
  for (const name of ['frobnicate', '../bench/run', 'main', 'status-line']) {
    const r = await cli([name]);
    t.equal(r.code, 2, name);
    t.match(r.stderr, `unknown command '${name}'`);
  }
});

t.test('unknown option: exit 2', async (t) => {
  const r = await cli(['--bogus']);
  t.equal(r.code, 2);
  t.match(r.stderr, /Unknown option '--bogus'/);
});

t.test('a command gets the rest of argv: run --help', async (t) => {
  const r = await cli(['run', '--help']);
  t.equal(r.code, 0);
  t.match(r.stdout, /^usage: mesos-sidecar run FILE\.json/);
});

t.test('run prints the CLI as the user can type it', async (t) => {
  const { cliCommand } = await import('../../cli/run.js');
  const binDir = fileURLToPath(new URL('../../../bin/', import.meta.url));
  const repo = fileURLToPath(new URL('../../../', import.meta.url));
  t.equal(cliCommand({ PATH: `/usr/bin:${binDir}` }, '/'), 'mesos-sidecar', 'on PATH: the bare name');
  t.equal(cliCommand({ PATH: '/usr/bin' }, repo), './bin/mesos-sidecar', 'from the checkout: a relative path');
  t.equal(cliCommand({ PATH: '/usr/bin' }, '/proc'), bin, 'elsewhere: the absolute path');
});
