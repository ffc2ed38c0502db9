// Dispatches a ProbeSpec to the probe that performs it.
import type { Clock } from '../common/clock.js';
import type { ProbeSpec } from './definitions.js';
import type { ProbeOutcome } from './outcome.js';
import type { TaskCheckContext } from '../contracts/checks.js';
import { probeHttp } from './http-probe.js';
import { probeTcp } from './tcp-probe.js';
import { probeCommand } from './command-probe.js';

/** The task's environment, working directory, user and container are for COMMAND probes. */
export interface ProbeContext extends Pick<TaskCheckContext, 'environment' | 'workingDirectory' | 'user' | 'container'> {
  clock?: Clock;
  captureBodyBytes?: number;
  headersTimeoutMs?: number;
  onSpawn?: (pid: number) => void;
}

export function runProbe(spec: ProbeSpec, signal: AbortSignal, ctx: ProbeContext): Promise<ProbeOutcome> {
  switch (spec.type) {
    case 'HTTP':
      return probeHttp(spec, {
        signal,
        ...(ctx.captureBodyBytes !== undefined ? { captureBodyBytes: ctx.captureBodyBytes } : {}),
        ...(ctx.headersTimeoutMs !== undefined && ctx.clock ? { headersTimeoutMs: ctx.headersTimeoutMs, clock: ctx.clock } : {}),
      });
    case 'TCP':
      return probeTcp(spec, { signal });
    case 'COMMAND':
      return probeCommand(spec, {
        signal,
        environment: ctx.environment,
        workingDirectory: ctx.workingDirectory,
        ...(ctx.user !== undefined ? { user: ctx.user } : {}),
        ...(ctx.container ? { container: ctx.container } : {}),
        ...(ctx.onSpawn ? { onSpawn: ctx.onSpawn } : {}),
      });
  }
}
