// Typed failures of the switchboard. Each carries the HTTP status and body that Mesos
// answers for the same situation, so handlers can throw and the server maps once.
import { SettingError, SidecarError } from '../common/errors.js';

export class SwitchboardHttpError extends SidecarError {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly body: string,
    readonly headers: Record<string, string | string[]> = {},
  ) {
    super(`${status}${body ? `: ${body}` : ''}`);
  }
}

export const badRequest = (body: string) => new SwitchboardHttpError('E_BAD_REQUEST', 400, body);
export const unauthorized = (challenges: string[]) =>
  new SwitchboardHttpError('E_UNAUTHORIZED', 401, '', { 'WWW-Authenticate': challenges });
// Mesos answers 403 with an empty body; a refused `command.user` says which user and why.
export const forbidden = (body = '') => new SwitchboardHttpError('E_FORBIDDEN', 403, body);
export const notFound = (body: string) => new SwitchboardHttpError('E_NOT_FOUND', 404, body);
export const methodNotAllowed = (method: string | undefined) =>
  new SwitchboardHttpError('E_METHOD', 405, `405 Method Not Allowed. Expecting one of { 'POST' }, but received '${method ?? ''}'.`, { Allow: 'POST' });
export const notAcceptable = (body: string) => new SwitchboardHttpError('E_NOT_ACCEPTABLE', 406, body);
export const conflict = (body: string) => new SwitchboardHttpError('E_CONFLICT', 409, body);
export const payloadTooLarge = (body: string) => new SwitchboardHttpError('E_TOO_LARGE', 413, body);
export const unsupportedMediaType = (body: string) => new SwitchboardHttpError('E_MEDIA_TYPE', 415, body);
export const tooManySessions = (body: string) => new SwitchboardHttpError('E_TOO_MANY_SESSIONS', 429, body);
export const tooManyReaders = (body: string) => new SwitchboardHttpError('E_TOO_MANY_READERS', 429, body);
export const requestTimeout = (body: string) => new SwitchboardHttpError('E_REQUEST_TIMEOUT', 408, body);
export const internalError = (body: string) => new SwitchboardHttpError('E_INTERNAL', 500, body);
export const notImplemented = () => new SwitchboardHttpError('E_NOT_IMPLEMENTED', 501, '');

/** The operator's switchboard configuration (env, files) is unusable. */
export class SwitchboardConfigError extends SettingError {
  readonly code = 'E_SWITCHBOARD_CONFIG';
}

/** An output stream ended without its normal end (reset, server gone, reader cut off). */
export class StreamCutError extends SidecarError {
  readonly code = 'E_STREAM_CUT';
  constructor(detail: string) {
    super(`the output stream was cut off before its end (${detail})`);
  }
}
