// The kubelet baseline of bench/checks: its output is parsed strictly, and a missing Go or
// source is a named refusal (the suite then reports itself incomplete), never a dropped row.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KUBELET_PROBER_DIR_ENV, KubeletProber, KubeletProberUnavailable } from '../../bench/checks/kubelet-prober.js';
import { parseProberOutput } from '../../bench/checks/prober-program.js';

t.test('parseProberOutput reads the program\'s JSON line and refuses anything else', async (t) => {
  t.same(parseProberOutput('{"probes": 3000, "failures": 0, "cpu_ms_per_probe": 0.2446, "wall_ms_per_probe": 0.3409}\n', 'kubelet-prober'), {
    probes: 3000, failures: 0, cpuMsPerProbe: 0.2446, wallMsPerProbe: 0.3409,
  });
  const bad: Array<[string, RegExp]> = [
    ['', /printed no JSON line/],
    ['panic: runtime error', /printed no JSON line/],
    ['{"probes": 10, "failures": 0, "wall_ms_per_probe": 1}', /lacks a number "cpu_ms_per_probe"/],
    ['{"probes": 10, "failures": 0, "cpu_ms_per_probe": "fast", "wall_ms_per_probe": 1}', /lacks a number "cpu_ms_per_probe"/],
  ];
  for (const [text, message] of bad) t.throws(() => parseProberOutput(text, 'kubelet-prober'), message, JSON.stringify(text));
  t.throws(() => parseProberOutput('', 'syscall-floor'), /^syscall-floor printed no JSON line/, 'the refusal names the program');
});

t.test('without the anchor\'s source the build refuses, naming the path and the variable', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'kubelet-src-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  await t.rejects(KubeletProber.build('/nonexistent', { ...process.env, [KUBELET_PROBER_DIR_ENV]: empty }), new RegExp(`no kubelet-prober source at ${empty}/main.go \\(set ${KUBELET_PROBER_DIR_ENV}\\)`));
});

t.test('without Go the build refuses and says how to install it', async (t) => {
  // A source to build (the test does not depend on shared/ being beside the checkout).
  const src = mkdtempSync(join(tmpdir(), 'kubelet-src-'));
  t.teardown(() => rmSync(src, { recursive: true, force: true }));
  writeFileSync(join(src, 'main.go'), 'package main\nfunc main() {}\n');
  const err = await KubeletProber.build(process.cwd(), { ...process.env, PATH: '/nonexistent', [KUBELET_PROBER_DIR_ENV]: src }).catch((e: unknown) => e);
  t.ok(err instanceof KubeletProberUnavailable, 'a KubeletProberUnavailable');
  t.match((err as Error).message, /Go is not installed: the kubelet baseline needs Debian's golang-go \(`make bench-deps` installs it\)/);
});
