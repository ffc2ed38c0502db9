// Shared test helpers for checks: a TaskCheckContext that records reports (with the task's
// parsed definitions), a scripted fake probe, and a way to settle promise callbacks on a ManualClock without wall-clock waits.
import { Writable } from 'node:stream';
import { ManualClock, type Clock } from '../../common/clock.js';
import { createTaskCheckFactory, type TaskCheckFactoryOptions } from '../../checks/index.js';
import { createLogger } from '../../common/logger.js';
import type { HealthReport, TaskCheckContext } from '../../contracts/checks.js';
import type { mesos } from '../../proto/codec.js';
import type { ProbeOutcome } from '../../checks/outcome.js';
import { parseTaskChecks, type ProbeSpec } from '../../checks/definitions.js';

export const flush = () => new Promise<void>((r) => setImmediate(r));

export async function settle(clock: ManualClock): Promise<void> {
  for (let i = 0; i < 3; i++) {
    clock.advance(0);
    await flush();
  }
}

export async function advance(clock: ManualClock, ms: number, step = ms): Promise<void> {
  await settle(clock);
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done));
    await settle(clock);
  }
}

export type Report =
  | ({ kind: 'health'; at: number } & HealthReport)
  | { kind: 'check'; at: number; status: mesos.CheckStatusInfo; message: string }
  | { kind: 'readiness'; at: number; labels: Record<string, string>; message: string };

export function recordingContext(clock: Clock, task: mesos.TaskInfo, overrides: Partial<TaskCheckContext> = {}) {
  const reports: Report[] = [];
  const logLines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logLines.push(JSON.parse(line));
      cb();
    },
  });
  const context: TaskCheckContext = {
    taskId: task.task_id.value,
    environment: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    workingDirectory: process.cwd(),
    logger: createLogger({ name: 'test', level: 'debug', destination: sink }),
    clock,
    reportHealth: (r) => reports.push({ kind: 'health', at: clock.now(), ...r }),
    reportCheck: (status, message) => reports.push({ kind: 'check', at: clock.now(), status, message }),
    reportReadiness: (labels, message) => reports.push({ kind: 'readiness', at: clock.now(), labels: Object.fromEntries(labels.map((l) => [l.key, l.value ?? ''])), message }),
    ...overrides,
  };
  return { context, definitions: parseTaskChecks(task), reports, logLines };
}

/**
 * A task's checks as the executor gets them from the factory, with one dependency swapped:
 * probes answer from `script` (each taking `durationMs` on a ManualClock starting at 0).
 */
export function scriptedChecks(
  info: mesos.TaskInfo,
  script: ProbeOutcome[] | ((n: number) => ProbeOutcome),
  options: { durationMs?: number; factory?: TaskCheckFactoryOptions; context?: Partial<TaskCheckContext> } = {},
) {
  const clock = new ManualClock(0);
  const { probe, calls } = scriptedProbe(clock, script, options.durationMs);
  const { context, definitions, reports, logLines } = recordingContext(clock, info, options.context);
  const runner = createTaskCheckFactory({ random: () => 0, probe, ...options.factory }).create(definitions, context)!;
  return { clock, calls, reports, logLines, runner };
}

/** A fake probe answering from a script (the last entry repeats); `durationMs` on the manual clock. */
export function scriptedProbe(clock: ManualClock, script: ProbeOutcome[] | ((n: number) => ProbeOutcome), durationMs = 0) {
  const calls: Array<{ at: number; spec: ProbeSpec }> = [];
  const probe = (spec: ProbeSpec, signal: AbortSignal): Promise<ProbeOutcome> => {
    const n = calls.length;
    calls.push({ at: clock.now(), spec });
    const outcome = typeof script === 'function' ? script(n) : script[Math.min(n, script.length - 1)]!;
    if (durationMs === 0) return Promise.resolve(outcome);
    return new Promise((resolve) => {
      const onAbort = () => clock.clearTimeout(h);
      const h = clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      }, durationMs);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  };
  return { probe, calls };
}

export const http = (statusCode: number): ProbeOutcome => ({ kind: 'result', result: { type: 'HTTP', statusCode, redirects: 0, bodyBytes: 0 } });
export const exit = (exitCode: number, outputTail = ''): ProbeOutcome => ({ kind: 'result', result: { type: 'COMMAND', exitCode, outputTail } });
export const tcp = (succeeded: boolean): ProbeOutcome => ({ kind: 'result', result: { type: 'TCP', succeeded, ...(succeeded ? {} : { detail: 'connection refused' }) } });
export const refused: ProbeOutcome = { kind: 'error', code: 'REFUSED', message: 'connection refused' };

export function task(extra: Partial<mesos.TaskInfo>): mesos.TaskInfo {
  return { name: 'web', task_id: { value: 'web-1' }, agent_id: { value: 'agent-1' }, command: { value: 'sleep 1000' }, ...extra };
}
