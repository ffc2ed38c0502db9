// The command lines that start containers, and the init's status line.
import t from 'tap';
import { launchArgv, type LaunchRequest } from '../../containerizer/launcher.js';
import { INIT_SCRIPT, parseInitStatus } from '../../containerizer/init.js';

const base: LaunchRequest = {
  file: '/bin/sh', args: ['-c', 'x'], argv0: 'sh', env: {}, cwd: '/sb', io: { type: 'pipe' },
  newNamespaces: false, useInit: false, procsFiles: [], statusFile: '',
};
const init = (uid = '', gid = '', procs: string[] = []): string[] => ['-e', INIT_SCRIPT, '--', '/run/c.status', uid, gid, String(procs.length), ...procs, '/bin/sh', 'sh', '-c', 'x'];

t.test('no isolation: the command itself', async (t) => {
  t.same(launchArgv(base), { file: '/bin/sh', args: ['-c', 'x'], argv0: 'sh' });
});
t.test('cgroups only: our init joins the cgroups, then runs the command as the user', async (t) => {
  t.same(launchArgv({ ...base, useInit: true, statusFile: '/run/c.status', uid: 1000, gid: 100, procsFiles: ['/cg/a/cgroup.procs'] }), { file: '/usr/bin/perl', args: init('1000', '100', ['/cg/a/cgroup.procs']), argv0: 'perl' });
});
t.test('task container: new pid (own /proc), mount, UTS, IPC namespaces; host network', async (t) => {
  t.same(launchArgv({ ...base, useInit: true, newNamespaces: true, statusFile: '/run/c.status' }), {
    file: '/usr/bin/unshare', args: ['--pid', '--fork', '--mount-proc', '--uts', '--ipc', '--kill-child', '--', '/usr/bin/perl', ...init()], argv0: 'unshare',
  });
});
t.test("session: enters its task's pid, mount, UTS and IPC namespaces, keeps its working directory", async (t) => {
  t.same(launchArgv({ ...base, useInit: true, joinInitPid: 4242, statusFile: '/run/c.status' }), {
    file: '/usr/bin/nsenter', args: ['--target=4242', '--pid', '--mount', '--uts', '--ipc', '--wd=/sb', '--', '/usr/bin/perl', ...init()], argv0: 'nsenter',
  });
});
t.test('status lines', async (t) => {
  t.same(parseInitStatus('exit 3\n'), { kind: 'exit', code: 3 });
  t.same(parseInitStatus('signal 9\n'), { kind: 'signal', signal: 9, core: false });
  t.same(parseInitStatus('signal 11 core\n'), { kind: 'signal', signal: 11, core: true });
  t.same(parseInitStatus("error cannot execute '/x': No such file or directory\n"), { kind: 'error', message: "cannot execute '/x': No such file or directory" });
  t.equal(parseInitStatus(''), undefined);
  t.equal(parseInitStatus(undefined), undefined);
  t.equal(parseInitStatus('exit\n'), undefined);
});
