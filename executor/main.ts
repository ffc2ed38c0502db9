// Entry point of bin/mesos-sidecar-executor: what a Mesos agent runs for our ExecutorInfo.
// V8 is tuned before the executor's modules load (see v8-tuning.ts), so they load through
// a dynamic import.
import { applyExecutorV8Flags } from './v8-tuning.js';

applyExecutorV8Flags();
await import('./start.js');
