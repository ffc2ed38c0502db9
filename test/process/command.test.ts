// argv of a CommandInfo and execvp-like lookup, as tasks and exec sessions share them.
import t from 'tap';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CommandValueMissingError, commandArgv, locateExecutable, resolveExecutable } from '../../process/command.js';

t.test('shell form runs /bin/sh -c and ignores arguments; argv form uses arguments as the full argv', async (t) => {
  t.same(commandArgv({ value: 'echo hi', arguments: ['x'] }), { file: '/bin/sh', args: ['-c', 'echo hi'], argv0: 'sh' }, 'shell defaults to true');
  t.same(commandArgv({ shell: false, value: '/usr/bin/env', arguments: ['env', '-i', 'A=1'] }), { file: '/usr/bin/env', args: ['-i', 'A=1'], argv0: 'env' });
  t.same(commandArgv({ shell: false, value: 'true' }), { file: 'true', args: [], argv0: 'true' }, 'no arguments: argv0 is the value');
  // input: no value / an empty value → error: CommandValueMissingError (a LaunchError)
  for (const command of [{ shell: true }, { shell: false, value: '' }]) {
    t.throws(() => commandArgv(command), CommandValueMissingError);
    t.throws(() => commandArgv(command), { code: 'E_LAUNCH', message: 'CommandInfo.value is not set' });
  }
});

t.test('locateExecutable: found, not found (127), found but not runnable (126)', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'command-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'plain.txt'), 'not a program');
  chmodSync(path.join(dir, 'plain.txt'), 0o644);
  mkdirSync(path.join(dir, 'bin', 'tool'), { recursive: true }); // a directory named like the program
  const cases: [string, string | undefined, ReturnType<typeof locateExecutable>][] = [
    ['sh', '/nonexistent:/bin', { path: '/bin/sh' }],
    ['/bin/sh', undefined, { path: '/bin/sh' }],
    ['no-such-program-xyz', '/bin:/usr/bin', { exitCode: 127, reason: 'not-found' }],
    ['no-such-program-xyz', undefined, { exitCode: 127, reason: 'not-found' }],
    ['./plain.txt', '/bin', { exitCode: 126, reason: 'Permission denied' }],
    ['tool', `${path.join(dir, 'bin')}`, { exitCode: 126, reason: 'Is a directory' }],
    // an unusable entry early in PATH does not hide a usable one later
    ['sh', `${path.join(dir, 'bin')}:/bin`, { path: '/bin/sh' }],
  ];
  for (const [file, envPath, expected] of cases) t.same(locateExecutable(file, envPath, dir), expected, `${file} in ${envPath}`);
});

t.test('resolveExecutable (tasks): a LaunchError naming the executable and why', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'command-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'bin', 'tool'), { recursive: true });
  t.equal(resolveExecutable('sh', '/nonexistent:/bin', dir), '/bin/sh');
  t.throws(() => resolveExecutable('no-such-program-xyz', '/bin:/usr/bin', dir), { code: 'E_LAUNCH', message: "Failed to execute 'no-such-program-xyz': no such executable file on PATH" });
  t.throws(() => resolveExecutable('./server', '/bin', dir), { code: 'E_LAUNCH', message: "Failed to execute './server': no such executable file" }, 'relative to the task sandbox');
  // a directory on PATH used to pass the X_OK test and fail later in spawn with a bare EACCES
  t.throws(() => resolveExecutable('tool', path.join(dir, 'bin'), dir), { code: 'E_LAUNCH', message: "Failed to execute 'tool': Is a directory" });
});
