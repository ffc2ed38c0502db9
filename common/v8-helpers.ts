// V8's helper threads (its background compiler and concurrent GC workers, and the thread
// that schedules their delayed tasks) under SCHED_IDLE, for a process whose event loop is
// latency-critical (the IO switchboard).
//
// Why: a TurboFan job takes 1-16 ms of a helper's CPU, and a process's first few thousand
// keystrokes start dozens of them. On a 2-core agent the helper then holds a core that the
// relay's next wake-up needs; the kernel's fair scheduler lets a running thread finish its
// slice before a woken one of the same class runs (nice 19 does not change that under
// EEVDF), so a key waited 1-3 ms behind a compile. A SCHED_IDLE thread gives way to any
// normal one: the helpers use only idle CPU. How soon depends on the kernel's preemption
// model: under preempt=none (6.18, HZ=250, bench/switchboard on 2026-12-04) a woken task
// placed on a helper's core, which counts as idle for wake-ups, still waited up to the
// next tick (4 ms), and keystroke p99s with and without this were alike; what bounds them
// there is how much V8 still compiles (docs/switchboard.md, Benchmark). What a starved
// helper leaves undone, V8 does on the main thread itself (GC marking) or later
// (optimizing), so nothing stalls.
//
// Which threads: Node starts its platform (the delayed-task thread, then the V8 worker
// pool, --v8-pool-size, 4 by default) before anything else, and libuv's threadpool
// (file system, DNS, crypto; left as it is) only later, so in creation order, which is
// thread-id order unless the ids wrapped around, V8's come first after the main thread.
// There is no system call for the policy in Node: `chrt` (util-linux) sets it; lowering
// one's own priority needs no privilege.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';

const NODE_DEFAULT_V8_POOL_SIZE = 4;

export type V8Helpers = { kind: 'found'; tids: number[] } | { kind: 'unknown'; reason: string };

/** `--v8-pool-size` as this Node was started with it (command line or NODE_OPTIONS). */
export function v8PoolSize(execArgv: readonly string[], nodeOptions = ''): number {
  let size = NODE_DEFAULT_V8_POOL_SIZE;
  const args = [...nodeOptions.split(/\s+/).filter(Boolean), ...execArgv];
  for (let i = 0; i < args.length; i++) {
    const m = /^--v8[-_]pool[-_]size(?:=(.*))?$/.exec(args[i]!);
    if (m) size = Number(m[1] ?? args[++i]);
  }
  return size;
}

/** V8's helpers among a process's threads: the first `poolSize` + 1 after the main one, by id. */
export function v8HelperThreads(pid: number, tids: readonly number[], poolSize: number): V8Helpers {
  // 0 lets Node size the pool itself: the count is then not known here.
  if (!Number.isInteger(poolSize) || poolSize < 1) return { kind: 'unknown', reason: `--v8-pool-size ${poolSize}: pool size not known` };
  const others = tids.filter((t) => t !== pid).sort((a, b) => a - b);
  if (others.some((t) => t < pid)) return { kind: 'unknown', reason: 'thread ids wrapped around: creation order not known' };
  const count = poolSize + 1;
  if (others.length < count) return { kind: 'unknown', reason: `${others.length} threads besides the main one, expected at least ${count}` };
  return { kind: 'found', tids: others.slice(0, count) };
}

export type RunFile = (file: string, args: string[]) => Promise<void>;

const runFile: RunFile = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 10_000 }, (err, _stdout, stderr) => (err ? reject(new Error(`${file}: ${stderr.trim() || err.message}`)) : resolve()));
  });

// One shell for all of them: a spawn from the event loop costs more than the chrts it runs.
const SET_IDLE = 'for t do chrt --idle --pid 0 "$t" || exit; done';

/**
 * Moves this process's V8 helper threads to SCHED_IDLE. Resolves with what it did;
 * rejects only if `chrt` failed (missing, refused): the process runs on as it was.
 */
export async function idleV8Helpers(options: { run?: RunFile; pid?: number; tids?: number[]; poolSize?: number } = {}): Promise<V8Helpers> {
  const pid = options.pid ?? process.pid;
  const tids = options.tids ?? readdirSync('/proc/self/task').map(Number);
  const helpers = v8HelperThreads(pid, tids, options.poolSize ?? v8PoolSize(process.execArgv, process.env.NODE_OPTIONS));
  if (helpers.kind === 'found') await (options.run ?? runFile)('/bin/sh', ['-c', SET_IDLE, 'sh', ...helpers.tids.map(String)]);
  return helpers;
}
