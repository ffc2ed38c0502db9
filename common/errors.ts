// One base error with a stable `code`; callers branch on `code`, never on message text.
export abstract class SidecarError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A message could not be encoded or decoded in the negotiated content type. */
export class CodecError extends SidecarError {
  readonly code = 'E_CODEC';
}

/** A RecordIO stream is broken: bad length line, oversized or truncated record. */
export class RecordIOError extends SidecarError {
  constructor(
    readonly code: 'E_RECORDIO_LENGTH' | 'E_RECORDIO_TOO_LARGE' | 'E_RECORDIO_TRUNCATED' | 'E_RECORDIO_FAILED',
    message: string,
  ) {
    super(message);
  }
}

/** A `MESOS_*` (or other) environment variable is missing or malformed. */
export class EnvironmentError extends SidecarError {
  readonly code = 'E_ENVIRONMENT';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

/** A TaskInfo (or a part of it) cannot be run as given. */
export class TaskInvalidError extends SidecarError {
  readonly code = 'E_TASK_INVALID';
}

/** Starting a task's process failed (missing executable, unknown user, bad directory). */
export class LaunchError extends SidecarError {
  readonly code = 'E_LAUNCH';
}

/** The agent answered a call with an unexpected HTTP status. */
export class AgentHttpError extends SidecarError {
  readonly code = 'E_AGENT_HTTP';
  constructor(
    readonly status: number,
    readonly body: string,
    call: string,
  ) {
    super(`agent answered ${call} with ${status}${body ? `: ${body.trim().slice(0, 500)}` : ''}`);
  }
}

/**
 * A TLS connection to the agent failed (handshake, certificate, name check); `variable`
 * is the LIBPROCESS_SSL_* setting to look at, `tlsCode` the TLS library's error code.
 */
export class AgentTlsError extends SidecarError {
  readonly code = 'E_AGENT_TLS';
  constructor(
    readonly variable: string,
    readonly tlsCode: string,
    cause: Error,
  ) {
    super(`TLS connection to the agent failed (${tlsCode}: ${cause.message}); check ${variable}`, { cause });
  }
}
