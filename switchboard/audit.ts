// The audit trail of remote shells: one line when a session or attach starts and one when
// it ends, on a pino child marked `audit: true` so operators can route it separately.
import type { Logger } from '../common/logger.js';

export interface AuditRecord {
  event: 'session' | 'attach-input' | 'attach-output' | 'health-kill-hold';
  principal: string;
  task: string;
  container: string;
  command?: string | undefined;
  /** Sessions: the user the command runs as. */
  user?: string;
  tty: boolean;
  /** How the client reached us: the agent API over HTTP (absent, as before) or the WebSocket gateway. */
  transport?: 'websocket';
  start: string;
  end?: string;
  exit_status?: number | undefined;
  bytes_in?: number;
  bytes_out?: number;
  outcome?: string;
  /** Holds: what the client asked for and what it got after the operator's cap. */
  requested_ms?: number;
  duration_ms?: number;
  until?: string;
  /** Attach: the recent output asked for (Mesos-Sidecar-Output-Tail). */
  tail_bytes?: number;
}

export class AuditLog {
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger.child({ audit: true });
  }

  started(record: AuditRecord): void {
    this.#logger.info(record, `${record.event} started`);
  }

  ended(record: AuditRecord): void {
    this.#logger.info(record, `${record.event} ended`);
  }

  /** Asked for and not granted (the ACL said no): start and end are the moment of asking. */
  refused(record: AuditRecord): void {
    this.#logger.warn(record, `${record.event} refused`);
  }
}

export function describeCommand(command: { value?: string; arguments?: string[]; shell?: boolean } | undefined): string | undefined {
  if (!command) return undefined;
  if (command.shell ?? true) return command.value;
  return (command.arguments?.length ? command.arguments : [command.value ?? '']).join(' ');
}
