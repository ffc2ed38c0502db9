// General-check reporting (spec §6): an outcome becomes a CheckStatusInfo candidate (the
// value, or the empty sub-message of the type for an error) and is reported only when it
// differs from the previous one, which starts as the empty value.
import type { mesos } from '../proto/codec.js';
import type { CheckType } from './definitions.js';
import type { ProbeOutcome } from './outcome.js';

export function emptyCheckStatus(type: CheckType): mesos.CheckStatusInfo {
  switch (type) {
    case 'COMMAND':
      return { type, command: {} };
    case 'HTTP':
      return { type, http: {} };
    case 'TCP':
      return { type, tcp: {} };
  }
}

/** The CheckStatusInfo an outcome stands for; an error is the type's empty value. */
export function checkStatusFor(type: CheckType, outcome: ProbeOutcome): mesos.CheckStatusInfo {
  if (outcome.kind === 'error') return emptyCheckStatus(type);
  const r = outcome.result;
  switch (r.type) {
    case 'COMMAND':
      return { type: 'COMMAND', command: { exit_code: r.exitCode } };
    case 'HTTP':
      return { type: 'HTTP', http: { status_code: r.statusCode } };
    case 'TCP':
      return { type: 'TCP', tcp: { succeeded: r.succeeded } };
  }
}

export function sameCheckStatus(a: mesos.CheckStatusInfo, b: mesos.CheckStatusInfo): boolean {
  return (
    a.type === b.type &&
    (a.command === undefined) === (b.command === undefined) &&
    a.command?.exit_code === b.command?.exit_code &&
    (a.http === undefined) === (b.http === undefined) &&
    a.http?.status_code === b.http?.status_code &&
    (a.tcp === undefined) === (b.tcp === undefined) &&
    a.tcp?.succeeded === b.tcp?.succeeded
  );
}

export class GeneralCheckReporter {
  #previous: mesos.CheckStatusInfo;

  constructor(readonly type: CheckType) {
    this.#previous = emptyCheckStatus(type);
  }

  get previous(): mesos.CheckStatusInfo {
    return this.#previous;
  }

  /** The CheckStatusInfo to report, or undefined when nothing changed. */
  onOutcome(outcome: ProbeOutcome): mesos.CheckStatusInfo | undefined {
    const candidate = checkStatusFor(this.type, outcome);
    if (sameCheckStatus(candidate, this.#previous)) return undefined;
    this.#previous = candidate;
    return candidate;
  }
}
