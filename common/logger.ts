// Logs on stderr (stdout may belong to a CLI's output); the level comes from
// MESOS_SIDECAR_LOG_LEVEL. Two formats:
//   json    one pino JSON object a line: the executor's format (the agent keeps it in the
//           sandbox's stderr file, operators `jq` it), and any log that is not read by a person.
//   pretty  one readable line an entry, for a person at a terminal (`run`, `exec`, `check`):
//             [12:00:01.250] WARN: ACKNOWLEDGED for an unknown update task_id=web.1f2e3d4c
//           time of day, level, message, and only the fields in PRETTY_FIELDS; an error
//           shows its message, not its stack.
// A CLI asks for `forPeople`: pretty when stderr is a terminal. MESOS_SIDECAR_LOG_FORMAT
// (json|pretty) overrides either default. Tests pass their own destination to read lines back.
import pino, { type DestinationStream, type Logger } from 'pino';
import { createRequire } from 'node:module';
import type { PrettyOptions } from 'pino-pretty';

// pino-pretty (some forty files) loads only for a person's logs: the executor writes JSON,
// and loading it cost its cold start about 15 ms.
const requireCjs = createRequire(import.meta.url);
const prettyFactory = (options: PrettyOptions): ((line: string) => string) =>
  (requireCjs('pino-pretty') as typeof import('pino-pretty')).prettyFactory(options) as (line: string) => string;

export type { Logger };

export type LogFormat = 'json' | 'pretty';

export const LOG_FORMAT_ENV = 'MESOS_SIDECAR_LOG_FORMAT';

/**
 * The fields a person sees on a pretty line, in this order. Log keys follow Mesos' field
 * names: `task_id` for a task, `container_id` for a container.
 */
export const PRETTY_FIELDS = ['task_id', 'container_id', 'check', 'principal', 'call', 'state', 'code', 'message', 'error'] as const;

/** Which format a logger writes, and why not the asked one when the variable is wrong. */
export function chooseLogFormat(env: NodeJS.ProcessEnv, forPeople: boolean, stderrIsTerminal: boolean): { format: LogFormat; problem?: string } {
  const asked = env[LOG_FORMAT_ENV];
  const fallback: LogFormat = forPeople && stderrIsTerminal ? 'pretty' : 'json';
  if (asked === undefined || asked === '') return { format: fallback };
  if (asked === 'json' || asked === 'pretty') return { format: asked };
  return { format: fallback, problem: `${LOG_FORMAT_ENV}: expected json or pretty, got ${JSON.stringify(asked)}; writing ${fallback}` };
}

function fieldText(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

/** pino-pretty's formatter, set up for one line per entry; takes a JSON line, returns text. */
export function prettyFormatter(options: { colorize: boolean }): (jsonLine: string) => string {
  const format = prettyFactory({
    colorize: options.colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    // Everything but the chosen fields is hidden; messageFormat below adds those back.
    ignore: 'pid,hostname,name,err',
    hideObject: true,
    singleLine: true,
    messageFormat: (log, messageKey) => {
      const parts = [String(log[messageKey] ?? '')];
      for (const key of PRETTY_FIELDS) if (log[key] !== undefined) parts.push(`${key}=${fieldText(log[key])}`);
      const err = log.err as { message?: unknown } | undefined;
      if (err && err.message !== undefined) parts.push(`err=${fieldText(err.message)}`);
      return parts.join(' ');
    },
  });
  return (line) => {
    const text = format(line);
    return text.endsWith('\n') ? text : `${text}\n`;
  };
}

// The same synchronous stderr writer as the JSON lines (a line logged just before
// process.exit() is written, which a worker-thread transport would not guarantee), fed
// with pino-pretty's text instead.
function prettyDestination(colorize: boolean): DestinationStream {
  const format = prettyFormatter({ colorize });
  const stderr = pino.destination({ fd: 2, sync: true });
  return { write: (line: string) => void stderr.write(format(line)) };
}

export interface LoggerOptions {
  name: string;
  level?: string;
  /** A CLI's own log: pretty when stderr is a terminal (MESOS_SIDECAR_LOG_FORMAT aside). */
  forPeople?: boolean;
  /** Where lines go instead of stderr (tests); JSON there unless `format` says pretty. */
  destination?: DestinationStream;
  format?: LogFormat;
}

export function createLogger(options: LoggerOptions): Logger {
  const env = process.env;
  const level = options.level ?? env.MESOS_SIDECAR_LOG_LEVEL ?? 'info';
  const terminal = process.stderr.isTTY === true;
  const { format, problem }: { format: LogFormat; problem?: string } = options.format
    ? { format: options.format }
    : options.destination
      ? { format: 'json' }
      : chooseLogFormat(env, options.forPeople ?? false, terminal);
  let destination: DestinationStream;
  if (options.destination) {
    const sink = options.destination;
    const pretty = format === 'pretty' ? prettyFormatter({ colorize: false }) : undefined;
    destination = pretty ? { write: (line: string) => sink.write(pretty(line)) } : sink;
  } else {
    destination = format === 'pretty' ? prettyDestination(terminal && !env.NO_COLOR) : pino.destination({ fd: 2, sync: true });
  }
  const logger = pino({ name: options.name, level, base: { pid: process.pid } }, destination);
  if (problem) logger.warn(problem);
  return logger;
}
