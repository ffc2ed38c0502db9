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

/** Whether two outcomes say the same (so a history can keep one object for a run of them). */
export function sameOutcome(a: ProbeOutcome, b: ProbeOutcome): boolean {
  if (a === b) return true;
  if (a.kind === 'error') return b.kind === 'error' && a.code === b.code && a.message === b.message && a.outputTail === b.outputTail;
  if (b.kind !== 'result') return false;
  const x = a.result;
  const y = b.result;
  switch (x.type) {
    case 'HTTP':
      return y.type === 'HTTP' && x.statusCode === y.statusCode && x.redirects === y.redirects && x.bodyBytes === y.bodyBytes && x.contentType === y.contentType && x.body === y.body;
    case 'COMMAND':
      return y.type === 'COMMAND' && x.exitCode === y.exitCode && x.outputTail === y.outputTail;
    case 'TCP':
      return y.type === 'TCP' && x.succeeded === y.succeeded && x.detail === y.detail;
  }
}

/** What a history keeps of an outcome: a readiness response's body (up to 4 KiB) is for its label, not for explanations. */
function retained(outcome: ProbeOutcome): ProbeOutcome {
  if (outcome.kind !== 'result' || outcome.result.type !== 'HTTP' || outcome.result.body === undefined) return outcome;
  const { body: _body, ...result } = outcome.result;
  return { kind: 'result', result };
}

// Per slot in CheckHistory's ring: endedAt, latencyMs, lateMs.
const FIELDS = 3;

/**
 * The last `limit` runs of one check, in a ring allocated on the first run: the numbers in
 * one array of doubles, the outcomes by reference, a run of equal outcomes as one object.
 * Nothing is allocated per probe; RunRecords are made when asked for (explanations, CLI).
 * Ten RunRecords per check, their cause strings and a shift() per probe were most of what
 * 10,000 health-checked tasks kept on the heap.
 */
export class CheckHistory {
  #numbers: number[] | undefined;
  #outcomes: ProbeOutcome[] | undefined;
  /** Slot the next run goes to. */
  #next = 0;
  #size = 0;
  #total = 0;

  constructor(readonly limit = 10) {
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`history limit must be an integer >= 0, got ${limit}`);
  }

  add(probed: ProbeOutcome, run: Pick<ProbeRun, 'endedAt' | 'latencyMs' | 'lateMs'>): void {
    this.#total++;
    if (this.limit === 0) return;
    const outcome = retained(probed);
    const numbers = (this.#numbers ??= new Array<number>(this.limit * FIELDS).fill(0));
    const outcomes = (this.#outcomes ??= new Array<ProbeOutcome>(this.limit));
    const i = this.#next;
    const previous = this.#size > 0 ? outcomes[(i + this.limit - 1) % this.limit]! : undefined;
    outcomes[i] = previous !== undefined && sameOutcome(previous, outcome) ? previous : outcome;
    numbers[i * FIELDS] = run.endedAt;
    numbers[i * FIELDS + 1] = run.latencyMs;
    numbers[i * FIELDS + 2] = run.lateMs;
    this.#next = (i + 1) % this.limit;
    if (this.#size < this.limit) this.#size++;
  }

  #record(slot: number): RunRecord {
    const n = this.#numbers!;
    return recordOf(this.#outcomes![slot]!, { endedAt: n[slot * FIELDS]!, latencyMs: n[slot * FIELDS + 1]!, lateMs: n[slot * FIELDS + 2]! });
  }

  /** Oldest first. */
  recent(): RunRecord[] {
    const out: RunRecord[] = [];
    const first = (this.#next + this.limit - this.#size) % this.limit;
    for (let k = 0; k < this.#size; k++) out.push(this.#record((first + k) % this.limit));
    return out;
  }

  last(): RunRecord | undefined {
    return this.#size > 0 ? this.#record((this.#next + this.limit - 1) % this.limit) : undefined;
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
