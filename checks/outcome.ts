// What one probe produced (shared/spec/checks.md §4): a result (the target answered),
// or an error (we could not get an answer: timeout, refused HTTP connection, spawn
// failure...). Interpretation lives in
// health.ts, general.ts and readiness.ts; probes only fill these in.
export type ProbeResult =
  | { type: 'COMMAND'; exitCode: number; outputTail: string }
  | { type: 'HTTP'; statusCode: number; redirects: number; contentType?: string; body?: string; bodyBytes: number }
  /** A refused or failed connect is a result `succeeded: false`, not an error. */
  | { type: 'TCP'; succeeded: boolean; detail?: string };

export type ProbeErrorCode =
  | 'TIMEOUT' // the scheduler's deadline passed
  | 'ABORTED' // paused or stopped while running
  | 'REFUSED' // HTTP: nothing listens
  | 'RESET' // the connection broke mid-way
  | 'PROTOCOL' // not an HTTP reply
  | 'REDIRECT' // redirect to another host, or too many
  | 'TLS'
  | 'NETWORK' // any other socket error
  | 'SPAWN' // the command could not start
  | 'SIGNAL'; // the command died of a signal

export type ProbeOutcome =
  | { kind: 'result'; result: ProbeResult }
  | { kind: 'error'; code: ProbeErrorCode; message: string; outputTail?: string };

export function probeError(code: ProbeErrorCode, message: string, outputTail?: string): ProbeOutcome {
  return outputTail === undefined ? { kind: 'error', code, message } : { kind: 'error', code, message, outputTail };
}

/** Short cause for logs, CLI lines and status messages: "status 503", "exit 2", "connection refused". */
export function describeOutcome(outcome: ProbeOutcome): string {
  switch (outcome.kind) {
    case 'error':
      return outcome.message;
    case 'result': {
      const r = outcome.result;
      switch (r.type) {
        case 'COMMAND':
          return `exit ${r.exitCode}`;
        case 'HTTP':
          return `status ${r.statusCode}${r.redirects ? ` after ${r.redirects} redirect${r.redirects > 1 ? 's' : ''}` : ''}`;
        case 'TCP':
          return r.succeeded ? 'connected' : `connect failed${r.detail ? ` (${r.detail})` : ''}`;
      }
    }
  }
}
