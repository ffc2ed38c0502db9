// The v1/v2 hierarchy and the cgroups isolator against a fake cgroupfs: where cgroups go,
// what is written, that failures leak nothing, and that only our own cgroups are touched.
import t from 'tap';
import { parseCgroupLayout } from '../../containerizer/cgroupfs.js';
import { CgroupsIsolator } from '../../containerizer/cgroups-isolator.js';
import { Containerizer } from '../../containerizer/containerizer.js';
import { openHierarchy } from '../../containerizer/hierarchy.js';
import { ManualClock } from '../../common/clock.js';
import { fakeCgroupFs } from './fake-cgroupfs.js';

t.test('/proc/self/cgroup and /proc/self/mounts: per-controller own paths, comounts, v2', async (t) => {
  const layout = parseCgroupLayout(
    '9:name=systemd:/\n4:memory:/process_api/f1\n2:cpu,cpuacct:/job\n0::/user.slice\n',
    'cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0\ncgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\nproc /proc proc rw 0 0\n',
  );
  t.same([...layout.v1Own], [['name=systemd', '/'], ['memory', '/process_api/f1'], ['cpu', '/job'], ['cpuacct', '/job']]);
  t.same([...layout.v1Mounts], [['memory', '/sys/fs/cgroup/memory'], ['cpu', '/sys/fs/cgroup/cpu,cpuacct'], ['cpuacct', '/sys/fs/cgroup/cpu,cpuacct']]);
  t.equal(layout.v2Mount, '/sys/fs/cgroup/unified');
  t.equal(layout.v2Own, '/user.slice');
});

t.test('v1 is chosen when v2 offers no controllers; cgroups go under the own cgroup of each controller', async (t) => {
  const fake = fakeCgroupFs(t);
  const layout = fake.v1Layout(['freezer', 'cpu', 'cpuacct', 'memory', 'pids'], { memory: '/job/7' });
  const h = openHierarchy(fake.fs, layout)!;
  t.equal(h.version, 'v1');
  const iso = new CgroupsIsolator(h, 'mesos-sidecar', {});
  iso.prepare('mesos-sidecar/T', { cpus: 0.5, mem: 64, limits: {} });
  h.create('mesos-sidecar/T/mesos/S');
  t.same(fake.dirs().filter((d) => d.includes('mesos-sidecar')), [
    'cpu/mesos-sidecar', 'cpu/mesos-sidecar/T', 'cpu/mesos-sidecar/T/mesos', 'cpu/mesos-sidecar/T/mesos/S',
    'cpuacct/mesos-sidecar', 'cpuacct/mesos-sidecar/T', 'cpuacct/mesos-sidecar/T/mesos', 'cpuacct/mesos-sidecar/T/mesos/S',
    'freezer/mesos-sidecar', 'freezer/mesos-sidecar/T', 'freezer/mesos-sidecar/T/mesos', 'freezer/mesos-sidecar/T/mesos/S',
    'memory/job/7/mesos-sidecar', 'memory/job/7/mesos-sidecar/T', 'memory/job/7/mesos-sidecar/T/mesos', 'memory/job/7/mesos-sidecar/T/mesos/S',
    'pids/mesos-sidecar', 'pids/mesos-sidecar/T', 'pids/mesos-sidecar/T/mesos', 'pids/mesos-sidecar/T/mesos/S',
  ]);
  t.equal(fake.read(`${fake.root}/cpu/mesos-sidecar/T/cpu.shares`), '512');
  t.equal(fake.read(`${fake.root}/memory/job/7/mesos-sidecar/T/memory.limit_in_bytes`), String(64 * 2 ** 20));
  t.same(h.procsFiles('mesos-sidecar/T/mesos/S').map((f) => f.slice(fake.root.length)), ['/freezer/mesos-sidecar/T/mesos/S/cgroup.procs', '/cpu/mesos-sidecar/T/mesos/S/cgroup.procs', '/cpuacct/mesos-sidecar/T/mesos/S/cgroup.procs', '/memory/job/7/mesos-sidecar/T/mesos/S/cgroup.procs', '/pids/mesos-sidecar/T/mesos/S/cgroup.procs']);
  fake.setProcs(`${fake.root}/freezer/mesos-sidecar/T`, [11]);
  fake.setProcs(`${fake.root}/freezer/mesos-sidecar/T/mesos/S`, [12, 13]);
  t.same(h.pids('mesos-sidecar/T'), [11, 12, 13], 'the tracking (freezer) tree includes sessions');
  fake.setProcs(`${fake.root}/freezer/mesos-sidecar/T/mesos/S`, []);
  t.throws(() => h.remove('mesos-sidecar/T'), { code: 'E_CGROUP', operation: 'remove', errno: 'EBUSY', path: `${fake.root}/freezer/mesos-sidecar/T` }, 'a cgroup with processes is refused, named by path and errno');
  fake.setProcs(`${fake.root}/freezer/mesos-sidecar/T`, []);
  h.remove('mesos-sidecar/T');
  t.same(fake.dirs().filter((d) => d.includes('/T')), [], 'removed deepest first in every hierarchy');
  t.same(h.children('mesos-sidecar'), []);
});

t.test('a cgroup that cannot be created: CgroupError with path and errno, and nothing is left', async (t) => {
  const fake = fakeCgroupFs(t);
  const h = openHierarchy(fake.fs, fake.v1Layout(['freezer', 'cpu', 'memory']))!;
  h.create('mesos-sidecar');
  fake.readOnly.add(`${fake.root}/memory/mesos-sidecar`);
  const before = fake.dirs();
  t.throws(() => h.create('mesos-sidecar/T'), { code: 'E_CGROUP', operation: 'create', path: `${fake.root}/memory/mesos-sidecar/T`, errno: 'EACCES', message: `Failed to create cgroup '${fake.root}/memory/mesos-sidecar/T': EACCES` });
  t.same(fake.dirs(), before, 'the freezer and cpu cgroups made before the failure are gone');
  fake.readOnly.clear();
  fake.readOnly.add(`${fake.root}/cpu/mesos-sidecar/T`);
  const iso = new CgroupsIsolator(h, 'mesos-sidecar', {});
  t.throws(() => iso.prepare('mesos-sidecar/T', { cpus: 1, limits: {} }), { code: 'E_CGROUP', operation: 'write', errno: 'EACCES', path: `${fake.root}/cpu/mesos-sidecar/T/cpu.shares` });
  t.same(fake.dirs(), before, 'a refused limit removes the new cgroup again');
});

t.test('v2: one directory, processes in leaf, controllers enabled on every non-leaf level', async (t) => {
  const fake = fakeCgroupFs(t);
  const h = openHierarchy(fake.fs, fake.v2Layout(['cpu', 'memory', 'pids', 'io'], '/exec.scope'))!;
  t.equal(h.version, 'v2');
  t.same([...h.controllers], ['cpu', 'memory', 'pids']);
  const iso = new CgroupsIsolator(h, 'mesos-sidecar', {});
  iso.prepare('mesos-sidecar/T', { cpus: 2, mem: 128, limits: { cpus: 3 } });
  h.create('mesos-sidecar/T/mesos/S');
  const base = `${fake.root}/unified/exec.scope`;
  t.same(fake.dirs().filter((d) => d.includes('mesos-sidecar')), ['unified/exec.scope/mesos-sidecar', 'unified/exec.scope/mesos-sidecar/T', 'unified/exec.scope/mesos-sidecar/T/leaf', 'unified/exec.scope/mesos-sidecar/T/mesos', 'unified/exec.scope/mesos-sidecar/T/mesos/S', 'unified/exec.scope/mesos-sidecar/T/mesos/S/leaf']);
  for (const d of ['mesos-sidecar', 'mesos-sidecar/T', 'mesos-sidecar/T/mesos', 'mesos-sidecar/T/mesos/S']) t.match(fake.read(`${base}/${d}/cgroup.subtree_control`), /cpu.*memory.*pids|cpu memory pids/, d);
  t.equal(fake.read(`${base}/mesos-sidecar/T/leaf/cgroup.subtree_control`), '', 'never in leaf');
  t.equal(fake.read(`${base}/mesos-sidecar/T/cpu.max`), '300000 100000');
  t.equal(fake.read(`${base}/mesos-sidecar/T/cpu.weight`), '200');
  t.same(h.procsFiles('mesos-sidecar/T'), [`${base}/mesos-sidecar/T/leaf/cgroup.procs`]);
  fake.setProcs(`${base}/mesos-sidecar/T/leaf`, [5]);
  fake.setProcs(`${base}/mesos-sidecar/T/mesos/S/leaf`, [6]);
  t.same(h.pids('mesos-sidecar/T'), [5, 6]);
  fake.setProcs(`${base}/mesos-sidecar/T/leaf`, []);
  fake.setProcs(`${base}/mesos-sidecar/T/mesos/S/leaf`, []);
  h.remove('mesos-sidecar/T');
  t.same(fake.dirs().filter((d) => d.includes('/T')), []);
});

t.test('v2: an own cgroup with processes cannot hand controllers down: EBUSY with advice', async (t) => {
  const fake = fakeCgroupFs(t);
  const layout = fake.v2Layout(['cpu', 'memory'], '/exec.scope');
  fake.fs.write(`${fake.root}/unified/exec.scope/cgroup.subtree_control`, '-cpu -memory');
  fake.setProcs(`${fake.root}/unified/exec.scope`, [process.pid]);
  const h = openHierarchy(fake.fs, layout)!;
  t.throws(() => h.create('mesos-sidecar/T'), { code: 'E_CGROUP', errno: 'EBUSY', path: `${fake.root}/unified/exec.scope/cgroup.subtree_control`, message: /run the executor in a leaf cgroup/ });
});

t.test('recover(): removes leftovers under our parent and nothing else', async (t) => {
  const fake = fakeCgroupFs(t);
  const h = openHierarchy(fake.fs, fake.v1Layout(['freezer', 'memory'], { memory: '/job' }))!;
  for (const rel of ['mesos-sidecar/old-1', 'mesos-sidecar/old-2/mesos/sess', 'other-app/x', 'mesos-sidecar-2/y']) h.create(rel);
  const c = new Containerizer({ isolation: { namespaces: false, cgroups: true }, hierarchy: h, clock: new ManualClock() });
  t.same((await c.recover()).sort(), ['mesos-sidecar/old-1', 'mesos-sidecar/old-2']);
  t.same(fake.dirs(), [
    'freezer', 'freezer/mesos-sidecar', 'freezer/mesos-sidecar-2', 'freezer/mesos-sidecar-2/y', 'freezer/other-app', 'freezer/other-app/x',
    'memory', 'memory/job', 'memory/job/mesos-sidecar', 'memory/job/mesos-sidecar-2', 'memory/job/mesos-sidecar-2/y', 'memory/job/other-app', 'memory/job/other-app/x',
  ]);
  t.same(await c.recover(), [], 'a second start finds nothing');
});
