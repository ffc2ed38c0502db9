// Structured JSON logs on stderr (stdout may belong to a CLI's output); the level comes
// from MESOS_SIDECAR_LOG_LEVEL. Tests pass their own destination to read the lines back.
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export function createLogger(options: { name: string; level?: string; destination?: DestinationStream }): Logger {
  const level = options.level ?? process.env.MESOS_SIDECAR_LOG_LEVEL ?? 'info';
  const destination = options.destination ?? pino.destination({ fd: 2, sync: true });
  return pino({ name: options.name, level, base: { pid: process.pid } }, destination);
}
