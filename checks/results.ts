// A bounded record of each check's recent runs, so that every verdict can be explained:
// in logs, in the terminal update of a task killed by its health check, and in the CLI.
import type { ProbeOutcome } from './outcome.js';
import { describeOutcome } from './outcome.js';
import type { ProbeRun } from './scheduler.js';

export interface RunRecord {
  at: number;
  latencyMs: number;
  lateMs: number;
  kind: ProbeOutcome['kind'];
  /** "status 503", "exit 2", "connection refused", "timed out after 20s"... */
  cause: string;
  statusCode?: number;
  exitCode?: number;
  outputTail?: string;
  errorCode?: string;
}

export function recordOf(outcome: ProbeOutcome, run: Pick<ProbeRun, 'endedAt' | 'latencyMs' | 'lateMs'>): RunRecord {
  const rec: RunRecord = { at: run.endedAt, latencyMs: run.latencyMs, lateMs: run.lateMs, kind: outcome.kind, cause: describeOutcome(outcome) };
  if (outcome.kind === 'result') {
    const r = outcome.result;
    if (r.type === 'HTTP') rec.statusCode = r.statusCode;
    if (r.type === 'COMMAND') {
      rec.exitCode = r.exitCode;
      if (r.outputTail) rec.outputTail = r.outputTail;
    }
  } else if (outcome.kind === 'error') {
    rec.errorCode = outcome.code;
    if (outcome.outputTail) rec.outputTail = outcome.outputTail;
  }
  return rec;
}

export class CheckHistory {
  readonly #runs: RunRecord[] = [];
  #total = 0;

  constructor(readonly limit = 10) {}

  add(record: RunRecord): void {
    this.#runs.push(record);
    if (this.#runs.length > this.limit) this.#runs.shift();
    this.#total++;
  }

  /** Oldest first. */
  recent(): readonly RunRecord[] {
    return this.#runs;
  }

  last(): RunRecord | undefined {
    return this.#runs[this.#runs.length - 1];
  }

  get total(): number {
    return this.#total;
  }
}

const MESSAGE_OUTPUT_CHARS = 512;

/**
 * "HTTP health check failed 3 of 3: status 503, status 503, connection refused (last output: ...)"
 * — the terminal update's message after a health kill names the check, the count and causes.
 */
export function describeHealthKill(what: string, failures: number, threshold: number, history: CheckHistory): string {
  const failed = history.recent().slice(-Math.max(1, Math.min(failures, history.limit)));
  const causes = failed.map((r) => r.cause).join(', ');
  const output = [...failed].reverse().find((r) => r.outputTail)?.outputTail?.trim();
  const tail = output ? ` (last output: ${output.length > MESSAGE_OUTPUT_CHARS ? `...${output.slice(-MESSAGE_OUTPUT_CHARS)}` : output})` : '';
  const count = threshold > 0 ? `${failures} of ${threshold}` : `${failures} (threshold 0)`;
  return `${what} failed ${count}: ${causes}${tail}`;
}
