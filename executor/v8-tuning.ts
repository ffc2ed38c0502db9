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

/**
 * --semi-space-growth-factor=1: the young generation keeps its initial 1 MiB
 * semi-spaces instead of doubling towards 16 MiB whenever a burst of work (a LAUNCH_GROUP,
 * a hundred LAUNCHes) lets many objects survive a scavenge; the pages it would grow into
 * stay resident long after the burst. Same effect as --max-semi-space-size=1, which V8
 * reads only when the heap is set up.
 */
export const EXECUTOR_V8_FLAGS: readonly string[] = ['--semi-space-growth-factor=1'];

export function applyExecutorV8Flags(): void {
  for (const flag of EXECUTOR_V8_FLAGS) setFlagsFromString(flag);
}
