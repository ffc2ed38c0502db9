// Every bound the switchboard puts on what a peer controls, with its default and the
// largest value an operator may set (docs/switchboard.md lists them). The connection cap
// is derived from the process's file-descriptor limit unless set.
import { readFileSync } from 'node:fs';
import { SwitchboardConfigError } from './errors.js';

export interface Limits {
  /** Concurrent exec sessions per executor (429 beyond). */
  maxSessions: number;
  /** Largest request record or non-streaming body, in bytes (413 beyond). */
  maxRecordSize: number;
  /** Bytes an output reader may have queued before it is disconnected. */
  maxQueuedBytes: number;
  /** Concurrent ATTACH_CONTAINER_OUTPUT readers in total (429 beyond). */
  maxOutputReaders: number;
  /** Concurrent ATTACH_CONTAINER_OUTPUT readers of one container (429 beyond). */
  maxOutputReadersPerContainer: number;
  /** Bytes queued across all output readers; beyond it the fullest reader is cut off. */
  maxTotalQueuedBytes: number;
  /** A non-streaming body, or a stream's first record, must arrive within this (408). */
  bodyTimeoutMs: number;
  /** Request headers must be complete within this, or the connection is closed. */
  headersTimeoutMs: number;
  /** Open client connections; undefined: RLIMIT_NOFILE minus fdReserve. */
  maxConnections: number | undefined;
  /** File descriptors kept for the executor's own work (tasks, sessions, the agent). */
  fdReserve: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Limits = {
  maxSessions: 32,
  maxRecordSize: MiB,
  maxQueuedBytes: 4 * MiB,
  maxOutputReaders: 256,
  maxOutputReadersPerContainer: 64,
  maxTotalQueuedBytes: 64 * MiB,
  bodyTimeoutMs: 10_000,
  headersTimeoutMs: 5_000,
  maxConnections: undefined,
  fdReserve: 512,
};

/** The largest value each setting accepts (a config error beyond). */
export const LIMIT_MAXIMA: { readonly [K in keyof Limits]-?: number } = {
  maxSessions: 4096,
  maxRecordSize: 64 * MiB,
  maxQueuedBytes: 256 * MiB,
  maxOutputReaders: 65_536,
  maxOutputReadersPerContainer: 65_536,
  maxTotalQueuedBytes: 4096 * MiB,
  bodyTimeoutMs: 600_000,
  headersTimeoutMs: 120_000,
  maxConnections: 1_048_576,
  fdReserve: 1_048_576,
};

/** Checks limits given in code (startSwitchboard) as the environment's are checked. */
export function validateLimits(limits: Partial<Limits>): void {
  for (const [key, value] of Object.entries(limits) as [keyof Limits, number | undefined][]) {
    if (value === undefined) continue;
    const max = LIMIT_MAXIMA[key];
    if (!Number.isInteger(value) || value <= 0 || value > max) throw new SwitchboardConfigError(`limits.${key}`, `expected an integer from 1 to ${max}, got ${value}`);
  }
}

/** The soft RLIMIT_NOFILE from /proc/self/limits; undefined where that is unreadable. */
export function openFilesLimit(procLimits?: string): number | undefined {
  let text = procLimits;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (!m) return undefined;
  return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}

// Without /proc: what a connection cap falls back to.
const UNKNOWN_FD_LIMIT_CONNECTIONS = 1024;

export type ConnectionCap =
  | { ok: true; maxConnections: number; clamped: boolean; openFiles: number | undefined }
  | { ok: false; message: string };

/**
 * The connection cap: the configured one, or RLIMIT_NOFILE minus the reserve; a
 * configured cap that would eat into the reserve is lowered to what is left.
 */
export function connectionCap(limits: Pick<Limits, 'maxConnections' | 'fdReserve'>, openFiles: number | undefined): ConnectionCap {
  if (openFiles === undefined) return { ok: true, maxConnections: limits.maxConnections ?? UNKNOWN_FD_LIMIT_CONNECTIONS, clamped: false, openFiles };
  const room = Math.min(openFiles - limits.fdReserve, LIMIT_MAXIMA.maxConnections);
  if (room < 1) return { ok: false, message: `the open-files limit (RLIMIT_NOFILE ${openFiles}) leaves no descriptor for connections after the reserve of ${limits.fdReserve}; raise the limit or lower the reserve` };
  if (limits.maxConnections === undefined) return { ok: true, maxConnections: room, clamped: false, openFiles };
  return { ok: true, maxConnections: Math.min(limits.maxConnections, room), clamped: limits.maxConnections > room, openFiles };
}
