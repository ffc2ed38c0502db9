// executor/v8-tuning.ts: the run-time flags really pin the young generation. Each case
// runs in a child node process: V8 flags are process-wide and would change tap's own heap.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { executorV8Flags } from '../../executor/v8-tuning.js';

const TUNING = fileURLToPath(new URL('../../executor/v8-tuning.js', import.meta.url));

// A burst where many objects survive their first scavenge: what makes V8 grow the
// young generation (and what a hundred LAUNCHes at once look like to it).
const WORKLOAD = `
  const { getHeapSpaceStatistics } = await import('node:v8');
  const newSpace = () => getHeapSpaceStatistics().find((x) => x.space_name === 'new_space').space_size;
  const before = newSpace();
  let keep = [];
  for (let i = 0; i < 1e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 50000) keep = []; }
  process.stdout.write(JSON.stringify({ before, after: newSpace() }));
`;

function newSpaceBytes(apply: boolean): { before: number; after: number } {
  const prologue = apply ? `(await import(${JSON.stringify(TUNING)})).applyExecutorV8Flags();` : `await import(${JSON.stringify(TUNING)});`;
  // Without tap's NODE_OPTIONS: its loader hooks would grow the heap before the flags apply.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', prologue + WORKLOAD], { encoding: 'utf8', env })) as { before: number; after: number };
}

t.test('without the flags the burst grows the young generation (the case is meaningful)', async (t) => {
  const { before, after } = newSpaceBytes(false);
  t.ok(after >= 4 * before, `new space grew from ${before} to ${after} bytes`);
});

t.test('with applyExecutorV8Flags() it keeps the size it had when they were applied', async (t) => {
  const { before, after } = newSpaceBytes(true);
  t.equal(after, before, `new space did not grow from ${before} bytes`);
});

// Objects that outlive two scavenges and then die (a probe in flight while the young
// generation fills), next to a steady live set: what a busy checks engine does to the
// old generation. The largest old space seen is the RSS it costs.
const PROMOTED_GARBAGE = `
  const { getHeapSpaceStatistics } = await import('node:v8');
  const oldSpace = () => getHeapSpaceStatistics().find((x) => x.space_name === 'old_space').space_size;
  const live = Array.from({ length: 200000 }, (_, i) => ({ i, s: 'live' + i }));
  let window = [];
  let most = 0;
  for (let i = 0; i < 4e6; i++) {
    window.push({ i, s: 'x' + i });
    if (window.length > 20000) window = [];
    if (i % 10000 === 0) most = Math.max(most, oldSpace());
  }
  process.stdout.write(JSON.stringify({ most, live: live.length }));
`;

/** The largest old space under the executor's flags, with or without the old generation bound. */
function largestOldSpace(bounded: boolean): number {
  const flags = executorV8Flags({}).filter((f) => bounded || !f.startsWith('--heap-growing-percent'));
  const prologue = `await import(${JSON.stringify(TUNING)}); const { setFlagsFromString } = await import('node:v8'); for (const f of ${JSON.stringify(flags)}) setFlagsFromString(f);`;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return (JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', prologue + PROMOTED_GARBAGE], { encoding: 'utf8', env })) as { most: number }).most;
}

t.test('--heap-growing-percent: garbage promoted to the old generation is collected sooner', async (t) => {
  const without = largestOldSpace(false);
  const withFlags = largestOldSpace(true);
  t.ok(withFlags < 0.75 * without, `largest old space ${(withFlags / 2 ** 20).toFixed(1)} MiB with the bound, ${(without / 2 ** 20).toFixed(1)} MiB without`);
});

t.test('flags: no optimizing compiler, unless the executor serves exec/attach', async (t) => {
  t.same(executorV8Flags({}), ['--semi-space-growth-factor=1', '--heap-growing-percent=50', '--max-opt=1']);
  t.same(executorV8Flags({ MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE: '/run/token' }), ['--semi-space-growth-factor=1', '--heap-growing-percent=50']);
  t.same(executorV8Flags({ MESOS_SIDECAR_SWITCHBOARD_CREDENTIALS: '/run/creds' }), ['--semi-space-growth-factor=1', '--heap-growing-percent=50']);
});

// %GetOptimizationStatus bit 4 (16): the function runs optimized code.
function hotFunctionOptimized(env: Record<string, string>, thenAllow = false): boolean {
  const code = `
    const tuning = await import(${JSON.stringify(TUNING)});
    tuning.applyExecutorV8Flags(${JSON.stringify(env)});
    if (${thenAllow}) tuning.allowOptimizingCompiler();
    function hot(a, b) { return (a * 31 + b) | 0; }
    let x = 0;
    for (let i = 0; i < 3e6; i++) x = hot(x, i);
    process.stdout.write(String((%GetOptimizationStatus(hot) & 16) !== 0));
  `;
  const childEnv = { ...process.env };
  delete childEnv.NODE_OPTIONS;
  return execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', code], { encoding: 'utf8', env: childEnv }) === 'true';
}

t.test('--max-opt=1 applied at run time keeps a hot function out of TurboFan', async (t) => {
  t.equal(hotFunctionOptimized({ MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE: '/run/token' }), true, 'with the switchboard configured it is optimized');
  t.equal(hotFunctionOptimized({}), false, 'without, it is not');
  t.equal(hotFunctionOptimized({}, true), true, 'once the checks engine loads, it is again');
});
