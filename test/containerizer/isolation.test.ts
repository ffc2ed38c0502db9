// MESOS_SIDECAR_ISOLATION parsing and the choice of isolation from probed facts.
import t from 'tap';
import { chooseIsolation, parseIsolationSetting, probeIsolationFacts, type IsolationFacts } from '../../containerizer/isolation.js';
import { parseCgroupLayout } from '../../containerizer/cgroupfs.js';
import { fakeCgroupFs } from './fake-cgroupfs.js';

t.test('setting parser: auto, none, comma lists; anything else names the variable and the value', async (t) => {
  t.same(parseIsolationSetting(undefined), { mode: 'auto' });
  t.same(parseIsolationSetting(' auto '), { mode: 'auto' });
  t.same(parseIsolationSetting('none'), { mode: 'fixed', isolation: { namespaces: false, cgroups: false } });
  t.same(parseIsolationSetting('namespaces'), { mode: 'fixed', isolation: { namespaces: true, cgroups: false } });
  t.same(parseIsolationSetting('namespaces,cgroups'), { mode: 'fixed', isolation: { namespaces: true, cgroups: true } });
  t.throws(() => parseIsolationSetting('namespaces,docker'), { code: 'E_ENVIRONMENT', message: "MESOS_SIDECAR_ISOLATION: unknown isolation 'docker' in 'namespaces,docker'; expected auto, none, or a comma list of namespaces and cgroups" });
});

const full: IsolationFacts = { root: true, cgroupsDescription: 'cgroup v1 (freezer,memory)' };
const rows: Array<[string, IsolationFacts, string | undefined, { namespaces: boolean; cgroups: boolean }, RegExp]> = [
  ['root, everything works: both', full, undefined, { namespaces: true, cgroups: true }, /^auto: pid, mount, UTS and IPC namespaces available; cgroup v1 \(freezer,memory\) writable/],
  ['not root: none, with the reason', { root: false }, undefined, { namespaces: false, cgroups: false }, /no namespaces: not running as root; no cgroups: not running as root/],
  ['unshare refused', { ...full, namespacesProblem: 'unshare: unshare failed: Operation not permitted' }, 'auto', { namespaces: false, cgroups: true }, /no namespaces: unshare: unshare failed: Operation not permitted/],
  ['cgroups read-only', { ...full, cgroupsProblem: 'cannot write /sys/fs/cgroup/memory' }, undefined, { namespaces: true, cgroups: false }, /no cgroups: cannot write/],
  ['override none', full, 'none', { namespaces: false, cgroups: false }, /^MESOS_SIDECAR_ISOLATION=none$/],
  ['override namespaces only', full, 'namespaces', { namespaces: true, cgroups: false }, /^MESOS_SIDECAR_ISOLATION=namespaces$/],
  ['override asks for more than allowed: runs with less, says why', { root: false }, 'namespaces,cgroups', { namespaces: false, cgroups: false }, /asks for namespaces,cgroups but namespaces: not running as root; cgroups: not running as root/],
];
for (const [name, facts, setting, want, reason] of rows) {
  t.test(name, async (t) => {
    const c = chooseIsolation(facts, parseIsolationSetting(setting));
    t.same({ namespaces: c.namespaces, cgroups: c.cgroups }, want);
    t.match(c.reason, reason);
  });
}

t.test('probe: not root → facts say so, nothing else is tried', async (t) => {
  let tried = false;
  const { facts, hierarchy } = await probeIsolationFacts({ uid: () => 1000, tryNamespaces: () => { tried = true; }, layout: () => { tried = true; throw new Error('unreachable'); }, fs: fakeCgroupFs(t).fs });
  t.same(facts, { root: false });
  t.equal(hierarchy, undefined);
  t.notOk(tried);
  t.same(chooseIsolation(facts, { mode: 'auto' }), { namespaces: false, cgroups: false, reason: 'auto: no namespaces: not running as root; no cgroups: not running as root' });
});

t.test('probe: root on a fake v1 layout; unshare failure reported with its stderr; read-only cgroups named', async (t) => {
  const fake = fakeCgroupFs(t);
  const layout = fake.v1Layout(['freezer', 'memory'], { memory: '/job/7' });
  const deps = {
    uid: () => 0,
    tryNamespaces: () => { throw Object.assign(new Error('Command failed'), { stderr: Buffer.from('unshare: unshare failed: Operation not permitted\n') }); },
    layout: () => layout,
    fs: fake.fs,
  };
  const ok = await probeIsolationFacts(deps);
  t.same(ok.facts, { root: true, namespacesProblem: 'unshare: unshare failed: Operation not permitted', cgroupsDescription: 'cgroup v1 (freezer,memory)' });
  t.equal(ok.hierarchy?.version, 'v1');
  fake.readOnly.add(`${fake.root}/memory/job/7`);
  const ro = await probeIsolationFacts(deps);
  t.equal(ro.facts.cgroupsProblem, `cannot write ${fake.root}/memory/job/7`);
  t.equal(ro.hierarchy, undefined);
  t.equal((await probeIsolationFacts({ ...deps, layout: () => parseCgroupLayout('0::/\n', '') })).facts.cgroupsProblem, 'no cgroup v2 controllers and no v1 controller mounted');
});
