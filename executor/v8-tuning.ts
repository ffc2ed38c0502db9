// V8 settings for a small resident set, applied from inside the executor process before
// its own code loads. Why not `node --flag` in bin/mesos-sidecar-executor: node's built-in
// modules come with a code cache that V8 accepts only under the flags it was made with;
// any flag on the command line throws it away and every built-in is compiled from source,
// which measured +25 ms from start to SUBSCRIBE. A flag changed at run time has the same
// effect on built-ins loaded after the change, so the ones the executor needs before its
// first SUBSCRIBE are loaded here first (order matters: imports run before this body).
import 'node:child_process';
import 'node:crypto';
import 'node:fs';
import 'node:http';
import 'node:os';
import 'node:path';
import 'node:stream';
import 'node:string_decoder';
import 'node:worker_threads'; // pino's transport support loads it at import time
import { setFlagsFromString } from 'node:v8';
import { switchboardConfigured } from '../contracts/switchboard.js';

/**
 * --semi-space-growth-factor=1: the young generation keeps the size it has now (1-2 MiB
 * semi-spaces) instead of doubling towards 16 MiB whenever a burst of work (a
 * LAUNCH_GROUP, a hundred LAUNCHes) lets many objects survive a scavenge; the pages it
 * would grow into stay resident long after the burst. Same effect as
 * --max-semi-space-size, which V8 reads only when the heap is set up.
 */
const PIN_YOUNG_GENERATION = '--semi-space-growth-factor=1';

/**
 * --heap-growing-percent=50: the next full collection comes once the old generation has
 * grown by half of what survived the last one (V8's own factor grows to 4x when GC is
 * fast). Probes that outlive two scavenges are promoted and die old: at 10,000 checks a
 * second that is 1.2 MiB/s of garbage in the old space, and under V8's factor the RSS
 * climbed from 100 to 185 MiB over a minute before the next full GC (bench/checks
 * agentScale, live heap 40 MiB throughout). With it: 100-106 MiB, CPU within the
 * run-to-run spread.
 */
const BOUNDED_OLD_GENERATION = '--heap-growing-percent=50';

/**
 * --max-opt=1: no optimizing compiler (TurboFan), code runs interpreted or baseline
 * compiled (Sparkplug). Running TurboFan pulls about 3.5 MiB of the node binary's code
 * into memory and keeps optimized code and its compiler's zones on top (5 MiB of RSS in
 * all with 100 tasks), while the executor's work is a few messages per task: encoding an
 * update takes ~25 us instead of ~5 us, next to milliseconds of fork and HTTP. The IO
 * switchboard is the exception, its byte relay is hot (+35% CPU without TurboFan), so an
 * executor that serves exec/attach keeps the optimizing compiler.
 */
const BASELINE_CODE_ONLY = '--max-opt=1';

/** The run-time V8 flags for an executor started with `env`. */
export function executorV8Flags(env: NodeJS.ProcessEnv): string[] {
  const heap = [PIN_YOUNG_GENERATION, BOUNDED_OLD_GENERATION];
  return switchboardConfigured(env) ? heap : [...heap, BASELINE_CODE_ONLY];
}

/**
 * Checks probe many times a second for as long as the tasks run: like the switchboard's
 * relay, that is hot code, and it is measured (bench/checks) with the optimizing compiler.
 * Called when the checks engine loads; code compiled before stays as it was.
 */
export function allowOptimizingCompiler(): void {
  // --max-opt=1 also switched --turbofan off by implication; both must be set back.
  setFlagsFromString('--max-opt=999');
  setFlagsFromString('--turbofan');
}

/**
 * The client of a TTY session (`exec -t`, `attach`) runs without the optimizing compiler
 * too: its work per key is a few microseconds, and the compile jobs TurboFan starts in a
 * session's first seconds held keys back by 1-3 ms where client and switchboard share
 * the cores (bench/switchboard keystroke rounds: p99 of the first sessions 2-3.5 ms with
 * it, under 1.3 ms without; the median rises from 0.1 to 0.2 ms). Code compiled so far
 * keeps running as it is.
 */
export function baselineCodeOnly(): void {
  setFlagsFromString(BASELINE_CODE_ONLY);
}

export function applyExecutorV8Flags(env: NodeJS.ProcessEnv = process.env): void {
  for (const flag of executorV8Flags(env)) setFlagsFromString(flag);
}
