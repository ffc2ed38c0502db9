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

/** A setting (environment variable, option) is missing or malformed; the message starts with its name. */
export abstract class SettingError extends SidecarError {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}

/** A `MESOS_*` (or other) environment variable is missing or malformed. */
export class EnvironmentError extends SettingError {
  readonly code = 'E_ENVIRONMENT';
  /** The variable's name: the setting at fault. */
  get variable(): string {
    return this.setting;
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

/**
 * The agent (executor side) or a switchboard (CLI side) answered a call with an unexpected
 * HTTP status; the message quotes the start of its body.
 */
export class UnexpectedAnswerError extends SidecarError {
  readonly code: 'E_AGENT_HTTP' | 'E_SWITCHBOARD_CLIENT';
  constructor(
    readonly server: 'agent' | 'switchboard',
    readonly status: number,
    readonly body: string,
    readonly call: string,
  ) {
    super(`${server} answered ${call} with ${status}${body ? `: ${body.trim().slice(0, 500)}` : ''}`);
    this.code = server === 'agent' ? 'E_AGENT_HTTP' : 'E_SWITCHBOARD_CLIENT';
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
