// The containerizer without isolation (a non-root executor): tasks run as before, and bad
// ids and sessions of finished tasks are refused with typed errors.
import t from 'tap';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Containerizer } from '../../containerizer/containerizer.js';
import { useOutputPipesForTests } from '../../process/os-pipe.js';
import { processGone, until } from '../helpers/wait.js';

const none = { namespaces: false, cgroups: false };

async function readAll(s: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of s) text += String(chunk);
  return text;
}

t.test('isolation none: the command itself, in its own process group; kill() reaches the group', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ctr-none-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const c = new Containerizer({ isolation: none, runtimeDir: dir });
  const ctr = await c.launch({ id: 'plain', file: '/bin/sh', args: ['-c', 'sleep 300 & echo $! ; wait'], env: { PATH: '/usr/bin:/bin' }, cwd: dir, io: { type: 'pipe' } });
  const grandchild = await new Promise<number>((resolve) => ctr.child!.stdout!.once('data', (b: Buffer) => resolve(Number(b.toString().trim()))));
  t.equal(ctr.cgroup, undefined);
  t.same(Object.keys(ctr.stats()), ['timestamp'], 'no cgroup, no figures');
  t.ok(ctr.kill('SIGTERM'));
  const end = await ctr.wait();
  t.same({ exitCode: end.exitCode, signal: end.signal, waitStatus: end.waitStatus }, { exitCode: null, signal: 15, waitStatus: 15 });
  // The leader's exit can be seen before the other member has finished dying.
  await until(() => processGone(grandchild), 'the group member gone', 5_000);
  t.ok(processGone(grandchild), 'the group member got the signal too');
  t.notOk(ctr.kill('SIGTERM'), 'false once it is gone');
});

t.test('refused: ids that cannot name a cgroup, duplicates, sessions of containers that are gone', async (t) => {
  const c = new Containerizer({ isolation: none });
  const spec = { file: '/bin/true', args: [], env: {}, cwd: '/', io: { type: 'fds' as const, stdout: 'ignore' as const, stderr: 'ignore' as const } };
  for (const id of ['', '.', '..', 'a/b', 'leaf', 'mesos', 'x'.repeat(243)]) {
    await t.rejects(c.launch({ ...spec, id }), { code: 'E_LAUNCH', message: /^Invalid container id/ }, JSON.stringify(id.slice(0, 20)));
  }
  const task = await c.launch({ ...spec, id: 'task', file: '/bin/sleep', args: ['300'] });
  await t.rejects(c.launch({ ...spec, id: 'task' }), { code: 'E_CONTAINER_STATE', message: 'Container task already exists' });
  const [first, second] = await Promise.allSettled([c.launch({ ...spec, id: 'twin', file: '/bin/sleep', args: ['300'] }), c.launch({ ...spec, id: 'twin' })]);
  t.equal(first.status, 'fulfilled', 'the first of two concurrent launches with one id runs');
  t.match(second, { status: 'rejected', reason: { code: 'E_CONTAINER_STATE', message: 'Container twin already exists' } }, 'the second is refused while the first is still starting');
  await task.destroy();
  await t.rejects(c.launch({ ...spec, id: 'sess', parent: task }), { code: 'E_CONTAINER_STATE', message: 'Container task is not running' });
  await c.shutdown();
  t.equal(c.containers.size, 0, 'shutdown() destroyed the rest');
});

t.test('cgroups isolation without a hierarchy is a programming error, said at construction', async (t) => {
  t.throws(() => new Containerizer({ isolation: { namespaces: false, cgroups: true } }), { code: 'E_CONTAINER_STATE', message: 'cgroups isolation needs a cgroup hierarchy' });
});

t.test("io pipe: a command's output is kept for a reader that comes after its exit (Node drops unread output at exit)", async (t) => {
  const c = new Containerizer({ isolation: none });
  t.teardown(() => c.shutdown());
  const ctr = await c.launch({ id: 'quick-output', file: '/bin/sh', args: ['-c', 'echo out; echo err >&2'], argv0: 'sh', env: { PATH: '/usr/bin:/bin' }, cwd: tmpdir(), io: { type: 'pipe' } });
  t.equal((await ctr.wait()).exitCode, 0);
  // A few turns later, as a caller that awaited other things first reads it.
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.same(await Promise.all([readAll(ctr.child!.stdout!), readAll(ctr.child!.stderr!)]), ['out\n', 'err\n']);
});

t.test('io pipe: stdout and stderr are real pipes (process/os-pipe.ts), not socketpairs', async (t) => {
  const c = new Containerizer({ isolation: none });
  t.teardown(() => c.shutdown());
  const ctr = await c.launch({ id: 'pipes', file: '/bin/sh', args: ['-c', 'readlink /proc/self/fd/1 /proc/self/fd/2'], argv0: 'sh', env: { PATH: '/usr/bin:/bin' }, cwd: tmpdir(), io: { type: 'pipe' } });
  const text = await readAll(ctr.child!.stdout!);
  ctr.child!.stderr!.destroy();
  t.match(text, /^pipe:\[\d+\]\npipe:\[\d+\]\n$/, text);
  t.equal((await ctr.wait()).exitCode, 0);
});

t.test("io pipe without the pipe addon: child_process' socketpairs, the output as complete", async (t) => {
  useOutputPipesForTests('off');
  t.teardown(() => useOutputPipesForTests('auto'));
  const c = new Containerizer({ isolation: none });
  t.teardown(() => c.shutdown());
  const ctr = await c.launch({ id: 'socketpairs', file: '/bin/sh', args: ['-c', 'readlink /proc/self/fd/1; echo err >&2'], argv0: 'sh', env: { PATH: '/usr/bin:/bin' }, cwd: tmpdir(), io: { type: 'pipe' } });
  t.equal((await ctr.wait()).exitCode, 0);
  const [out, err] = await Promise.all([readAll(ctr.child!.stdout!), readAll(ctr.child!.stderr!)]);
  t.match(out, /^socket:\[\d+\]\n$/, out);
  t.equal(err, 'err\n');
});

t.test('io pipe: a command that cannot be executed leaves no descriptor open', async (t) => {
  const c = new Containerizer({ isolation: none });
  t.teardown(() => c.shutdown());
  const spec = { file: '/nonexistent/command', args: [], argv0: 'x', env: {}, cwd: tmpdir(), io: { type: 'pipe' } as const };
  // One failure first: Node opens descriptors of its own (the spawn's error pipe) once.
  await c.launch({ id: 'missing-0', ...spec }).catch(() => undefined);
  const before = readdirSync('/proc/self/fd').length;
  for (let i = 1; i <= 3; i++) await t.rejects(c.launch({ id: `missing-${i}`, ...spec }), { code: 'E_LAUNCH' });
  // Closing a socket's handle takes a turn or two: wait for the count, which never comes back if the read ends leak.
  await until(() => readdirSync('/proc/self/fd').length === before, `the descriptors to come back to ${before} after three failed launches`, 2000);
  t.equal(readdirSync('/proc/self/fd').length, before, 'descriptors after three failed launches');
});
