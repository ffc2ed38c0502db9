// Typed errors of the checks subsystem. A definition error names the offending field (as a
// path from the TaskInfo, e.g. `health_check.http.port`) and the value it had.
import { SidecarError } from '../common/errors.js';

/** A HealthCheck, CheckInfo or readiness definition that cannot be run. */
export class CheckDefinitionError extends SidecarError {
  readonly code = 'E_CHECK_INVALID';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A readiness-check label whose value is not valid JSON or not a JSON object. */
export class ReadinessLabelError extends SidecarError {
  readonly code = 'E_READINESS_LABEL';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The `check` CLI was given a file it cannot use. */
export class CheckFileError extends SidecarError {
  readonly code = 'E_CHECK_FILE';
}
