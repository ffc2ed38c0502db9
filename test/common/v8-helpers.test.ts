// common/v8-helpers.ts: which threads are V8's (a table), and, in a child node process
// (the policy is per thread and would change tap's own), that exactly those end up under
// SCHED_IDLE while libuv's threadpool and the main thread keep theirs.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { idleV8Helpers, v8HelperThreads, v8PoolSize } from '../../common/v8-helpers.js';

const MODULE = fileURLToPath(new URL('../../common/v8-helpers.js', import.meta.url));
const SCHED_OTHER = 0;
const SCHED_IDLE = 5;

t.test('v8HelperThreads: the pool and its delayed-task thread, first after the main thread by id', async (t) => {
  const cases: Array<[string, number, number[], number, ReturnType<typeof v8HelperThreads>]> = [
    ['default pool of 4, libuv threadpool after it', 100, [100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110], 4, { kind: 'found', tids: [101, 102, 103, 104, 105] }],
    ['ids listed out of order, with gaps', 100, [109, 105, 100, 103, 102, 110, 101, 104], 4, { kind: 'found', tids: [101, 102, 103, 104, 105] }],
    ['--v8-pool-size=2', 50, [50, 51, 52, 53, 54, 55], 2, { kind: 'found', tids: [51, 52, 53] }],
    ['ids wrapped around past pid_max', 32760, [32760, 32761, 32762, 300, 301, 302, 303], 4, { kind: 'unknown', reason: 'thread ids wrapped around: creation order not known' }],
    ['fewer threads than the pool', 100, [100, 101, 102], 4, { kind: 'unknown', reason: '2 threads besides the main one, expected at least 5' }],
    ['pool size 0 (Node sizes it)', 100, [100, 101, 102, 103, 104, 105, 106], 0, { kind: 'unknown', reason: '--v8-pool-size 0: pool size not known' }],
  ];
  for (const [name, pid, tids, pool, want] of cases) t.same(v8HelperThreads(pid, tids, pool), want, name);
});

t.test('v8PoolSize reads the command line and NODE_OPTIONS, the command line last', async (t) => {
  t.equal(v8PoolSize([]), 4, 'default');
  t.equal(v8PoolSize(['--v8-pool-size=2']), 2);
  t.equal(v8PoolSize(['--v8-pool-size', '3']), 3);
  t.equal(v8PoolSize([], '--max-old-space-size=100 --v8_pool_size=6'), 6);
  t.equal(v8PoolSize(['--v8-pool-size=1'], '--v8-pool-size=6'), 1);
});

t.test('idleV8Helpers runs one chrt per helper thread through one shell', async (t) => {
  const calls: Array<[string, string[]]> = [];
  const helpers = await idleV8Helpers({ pid: 10, tids: [10, 11, 12, 13, 14, 15, 16], poolSize: 4, run: async (file, args) => void calls.push([file, args]) });
  t.same(helpers, { kind: 'found', tids: [11, 12, 13, 14, 15] });
  t.equal(calls.length, 1);
  t.same(calls[0]!.slice(0, 1), ['/bin/sh']);
  t.same(calls[0]![1].slice(3), ['11', '12', '13', '14', '15']);
  const none = await idleV8Helpers({ pid: 10, tids: [10, 11], poolSize: 4, run: async () => void t.fail('nothing to run') });
  t.equal(none.kind, 'unknown', 'too few threads: nothing run');
});

// The child lowers its helpers, then keeps its four libuv threads busy with pbkdf2: the
// threads that ran the jobs are those whose CPU time grew by far the most meanwhile (a
// thread merely seen runnable may be a V8 helper in a scavenge); they must be SCHED_OTHER,
// and none of the lowered ones.
const CHILD = `
  const { readdirSync, readFileSync } = await import('node:fs');
  const { pbkdf2 } = await import('node:crypto');
  const { idleV8Helpers } = await import(${JSON.stringify(MODULE)});
  const helpers = await idleV8Helpers();
  const stat = (tid) => { const f = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8'); return f.slice(f.lastIndexOf(')') + 2).split(' '); };
  const cpuTicks = () => Object.fromEntries(readdirSync('/proc/self/task').map((tid) => { const s = stat(tid); return [tid, Number(s[11]) + Number(s[12])]; }));
  const before = cpuTicks();
  await new Promise((resolve) => { let pending = 4; for (let i = 0; i < 4; i++) pbkdf2('x', 'y', 400000, 32, 'sha256', () => --pending || resolve()); });
  const after = cpuTicks();
  const policies = {};
  for (const tid of readdirSync('/proc/self/task')) policies[tid] = Number(stat(tid)[38]);
  const grown = Object.entries(after).filter(([tid]) => Number(tid) !== process.pid).map(([tid, ticks]) => [tid, ticks - (before[tid] ?? 0)]);
  const most = Math.max(...grown.map(([, d]) => d));
  const ran = grown.filter(([, d]) => d * 2 >= most).map(([tid]) => tid);
  process.stdout.write(JSON.stringify({ pid: process.pid, helpers, policies, ran, mostTicks: most }));
`;

t.test('in a real process: V8 helpers SCHED_IDLE, main thread and libuv threadpool untouched', async (t) => {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // tap's loader hooks would add threads of their own
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', CHILD], { encoding: 'utf8', env })) as { pid: number; helpers: { kind: string; tids?: number[]; reason?: string }; policies: Record<string, number>; ran: string[]; mostTicks: number };
  t.equal(out.helpers.kind, 'found', `helpers found (${out.helpers.reason ?? ''})`);
  const lowered = (out.helpers.tids ?? []).map(String);
  t.equal(lowered.length, 5, 'the delayed-task thread and the pool of 4');
  for (const tid of lowered) t.equal(out.policies[tid], SCHED_IDLE, `helper ${tid} runs SCHED_IDLE`);
  t.equal(out.policies[String(out.pid)], SCHED_OTHER, 'the main thread keeps SCHED_OTHER');
  t.ok(out.mostTicks >= 5, `the jobs took CPU time a thread can be told by (${out.mostTicks} ticks)`);
  t.equal(out.ran.length, 4, 'four threads, the threadpool, ran the pbkdf2 jobs');
  for (const tid of out.ran) {
    t.notOk(lowered.includes(tid), `threadpool thread ${tid} is not among the lowered`);
    t.equal(out.policies[tid], SCHED_OTHER, `threadpool thread ${tid} keeps SCHED_OTHER`);
  }
});
