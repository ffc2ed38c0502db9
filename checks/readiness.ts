// Readiness interpretation, Marathon's model run on the agent (spec §9). A result is ready
// when the HTTP status is in httpStatusCodesForReady (TCP: connected; COMMAND: exit 0). An
// error becomes a synthesized 504 text/plain response, as Marathon does. Results reach the
// scheduler as TaskStatus labels (keys below, documented in docs/checks.md), on the first
// result, on every change of verdict or status, and the final ready one; probing then stops.
import type { mesos } from '../proto/codec.js';
import type { ReadinessCheckDefinition } from './definitions.js';
import { describeOutcome, type ProbeOutcome } from './outcome.js';

export const READINESS_LABEL_PREFIX = 'mesos-sidecar.readiness/';
export const READINESS_LABELS = {
  name: `${READINESS_LABEL_PREFIX}name`,
  ready: `${READINESS_LABEL_PREFIX}ready`,
  result: `${READINESS_LABEL_PREFIX}result`,
  httpStatus: `${READINESS_LABEL_PREFIX}http-status`,
  contentType: `${READINESS_LABEL_PREFIX}content-type`,
  body: `${READINESS_LABEL_PREFIX}body`,
} as const;

/** Bound on the preserved response body carried in a label. */
export const READINESS_BODY_BYTES = 4096;

export interface ReadinessResult {
  ready: boolean;
  /** HTTP(S) only: the status, 504 when synthesized for an error. */
  httpStatus?: number;
  contentType?: string;
  body?: string;
  cause: string;
}

export type ReadinessDecision =
  | { report: false; ready: boolean }
  | { report: true; ready: boolean; labels: mesos.Label[]; message: string };

export function readinessResult(def: ReadinessCheckDefinition, outcome: ProbeOutcome): ReadinessResult {
  const cause = describeOutcome(outcome);
  if (outcome.kind !== 'result') {
    if (def.probe.type !== 'HTTP') return { ready: false, cause };
    return { ready: false, httpStatus: 504, contentType: 'text/plain', body: cause, cause };
  }
  const r = outcome.result;
  switch (r.type) {
    case 'HTTP':
      return {
        ready: def.httpStatusCodesForReady.includes(r.statusCode),
        httpStatus: r.statusCode,
        ...(r.contentType !== undefined ? { contentType: r.contentType } : {}),
        ...(r.body !== undefined ? { body: r.body } : {}),
        cause,
      };
    case 'TCP':
      return { ready: r.succeeded, cause };
    case 'COMMAND':
      return { ready: r.exitCode === 0, cause };
  }
}

export class ReadinessInterpreter {
  #lastKey: string | undefined;
  #ready = false;

  constructor(readonly definition: ReadinessCheckDefinition) {}

  get ready(): boolean {
    return this.#ready;
  }

  onOutcome(outcome: ProbeOutcome): ReadinessDecision {
    if (this.#ready) return { report: false, ready: this.#ready };
    const res = readinessResult(this.definition, outcome);
    const key = `${res.ready}/${res.httpStatus ?? res.cause}`;
    this.#ready = res.ready;
    if (key === this.#lastKey) return { report: false, ready: res.ready };
    this.#lastKey = key;
    const def = this.definition;
    const labels: mesos.Label[] = [
      { key: READINESS_LABELS.name, value: def.name },
      { key: READINESS_LABELS.ready, value: String(res.ready) },
      { key: READINESS_LABELS.result, value: res.cause },
    ];
    if (res.httpStatus !== undefined) labels.push({ key: READINESS_LABELS.httpStatus, value: String(res.httpStatus) });
    if (def.preserveLastResponse && res.httpStatus !== undefined) {
      if (res.contentType !== undefined) labels.push({ key: READINESS_LABELS.contentType, value: res.contentType });
      labels.push({ key: READINESS_LABELS.body, value: res.body ?? '' });
    }
    const message = `readiness check '${def.name}' ${res.ready ? 'ready' : 'not ready'}: ${res.cause}`;
    return { report: true, ready: res.ready, labels, message };
  }
}
