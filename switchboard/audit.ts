// The audit trail of remote shells: one line when a session or attach starts and one when
// it ends, on a pino child marked `audit: true` so operators can route it separately.
import type { Logger } from '../common/logger.js';

export interface AuditRecord {
  event: 'session' | 'attach-input' | 'attach-output';
  principal: string;
  task: string;
  container: string;
  command?: string | undefined;
  /** Sessions: the user the command runs as. */
  user?: string;
  tty: boolean;
  start: string;
  end?: string;
  exit_status?: number | undefined;
  bytes_in?: number;
  bytes_out?: number;
  outcome?: string;
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
}

export function describeCommand(command: { value?: string; arguments?: string[]; shell?: boolean } | undefined): string | undefined {
  if (!command) return undefined;
  if (command.shell ?? true) return command.value;
  return (command.arguments?.length ? command.arguments : [command.value ?? '']).join(' ');
}
