// The IO switchboard: the Mesos agent API subset for exec/attach, served for the tasks of
// this executor. The executor's main starts it with startSwitchboard().
import type { AddressInfo, Socket } from 'node:net';
import { systemClock, type Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { TaskRegistry } from '../contracts/task-view.js';
import { Containerizer } from '../containerizer/containerizer.js';
import type { Acl } from './acl.js';
import { AuditLog } from './audit.js';
import { checkAuthConfig, hasAnyCredential, type AuthConfig } from './auth.js';
import type { SwitchboardState } from './calls/context.js';
import { Containers } from './containers.js';
import { SwitchboardConfigError } from './errors.js';
import { connectionCap, DEFAULT_LIMITS, openFilesLimit, validateLimits, type Limits } from './limits.js';
import { OutputReaders } from './output-readers.js';
import { createHttpServer } from './server.js';
import { Gateway } from './ws/gateway.js';
import { DEFAULT_MAX_HEALTH_KILL_HOLD_MS, parseAllowedOrigins } from './config.js';
import { DEFAULT_OUTPUT_TAIL_BYTES } from '../process/output-ring.js';

export { switchboardOptionsFromEnv } from './config.js';
export { SWITCHBOARD_ENV } from '../contracts/switchboard.js';
export type { AuthConfig } from './auth.js';
export type { Acl } from './acl.js';
export type { Limits } from './limits.js';

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;
const NO_ISOLATION = { namespaces: false, cgroups: false } as const;

export interface SwitchboardOptions {
  registry: TaskRegistry;
  /**
   * The executor's one Containerizer, which launched its tasks' containers; sessions nest
   * in them. Without it (tests, tools) sessions run without isolation.
   */
  containerizer?: Containerizer;
  logger: Logger;
  clock?: Clock;
  /** Loopback by default. */
  host?: string;
  /** 0 (any free port) by default. */
  port?: number;
  /** Listen on this unix socket instead of TCP. */
  socketPath?: string;
  auth: AuthConfig;
  acl?: Acl;
  limits?: Partial<Limits>;
  heartbeatIntervalMs?: number;
  /** Grace between drained output and the answer to a still-open input stream. */
  inputGraceMs?: number;
  /** The longest health-kill hold a session gets; default DEFAULT_MAX_HEALTH_KILL_HOLD_MS. */
  maxHealthKillHoldMs?: number;
  /** Output kept per session for attach with a tail; default DEFAULT_OUTPUT_TAIL_BYTES. */
  outputTailBytes?: number;
  /** RLIMIT_NOFILE as the connection cap sees it (read from /proc/self/limits by default). */
  openFiles?: number;
  /** Origins besides its own whose pages may open the WebSocket gateway (MESOS_SIDECAR_SWITCHBOARD_ALLOWED_ORIGINS). */
  allowedOrigins?: string[];
}

export interface Switchboard {
  /** `http://host:port` or `unix:/path`. */
  url: string;
  /** The WebSocket gateway on the same server (its live sockets and what they have queued). */
  gateway: Gateway;
  close(): Promise<void>;
}

export async function startSwitchboard(options: SwitchboardOptions): Promise<Switchboard> {
  // Locked down by default: a remote shell without credentials is never served.
  if (!hasAnyCredential(options.auth)) throw new SwitchboardConfigError('auth', 'no bearer token or credential configured; refusing to serve exec/attach without authentication');
  checkAuthConfig(options.auth);
  const logger = options.logger.child({ component: 'switchboard' });
  validateLimits(options.limits ?? {});
  const limits: Limits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) };
  const cap = connectionCap(limits, options.openFiles ?? openFilesLimit());
  if (!cap.ok) throw new SwitchboardConfigError('fdReserve', cap.message);
  if (cap.clamped) logger.warn({ configured: limits.maxConnections, maxConnections: cap.maxConnections, openFiles: cap.openFiles, fdReserve: limits.fdReserve }, 'maxConnections lowered to keep the descriptor reserve');
  const containers = new Containers(options.registry);
  const containerizer = options.containerizer ?? new Containerizer({ isolation: NO_ISOLATION });
  const isolated = containerizer.isolation.namespaces || containerizer.isolation.cgroups;
  const state: SwitchboardState = {
    containers,
    containerizer,
    plainContainerizer: isolated ? new Containerizer({ isolation: NO_ISOLATION }) : containerizer,
    clock: options.clock ?? systemClock,
    logger,
    audit: new AuditLog(logger),
    acl: options.acl,
    limits,
    readers: new OutputReaders(limits),
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    inputGraceMs: options.inputGraceMs ?? 1000,
    maxHealthKillHoldMs: options.maxHealthKillHoldMs ?? DEFAULT_MAX_HEALTH_KILL_HOLD_MS,
    outputTailBytes: options.outputTailBytes ?? DEFAULT_OUTPUT_TAIL_BYTES,
  };
  const server = createHttpServer(state, options.auth, cap.maxConnections);
  // Checked as the environment's are: an origin given in code is normalized or refused.
  const gateway = new Gateway(state, options.auth, { allowedOrigins: parseAllowedOrigins((options.allowedOrigins ?? []).join(',')) });
  gateway.serveUpgrades(server);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (options.socketPath) server.listen(options.socketPath, resolve);
    else server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  let url: string;
  if (options.socketPath) url = `unix:${options.socketPath}`;
  else {
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    url = `http://${host}:${address.port}`;
    if (!['127.0.0.1', '::1', 'localhost'].includes(address.address)) logger.warn({ address: address.address }, 'switchboard listens beyond loopback');
  }
  logger.info({ url, acl: options.acl !== undefined, limits: state.limits, maxConnections: cap.maxConnections }, 'switchboard listening');
  // Idempotent: a second server.close() would wait for a 'close' event that never comes.
  let closing: Promise<void> | undefined;
  return {
    url,
    gateway,
    close: () =>
      (closing ??= (async () => {
        containers.destroyAll();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await closed;
      })()),
  };
}

/**
 * The command line that execs into `taskId` through this switchboard, for `mesos-sidecar
 * run` to print (`cli`: how the user types our CLI). Names the token file, never the token.
 */
export function execHint(url: string, taskId: string, tokenFile?: string, cli = 'mesos-sidecar'): string {
  const credentials = tokenFile ? ` --token-file ${shellQuote(tokenFile)}` : '';
  return `${shellQuote(cli)} exec -it --url ${shellQuote(url)}${credentials} ${shellQuote(taskId)} -- /bin/sh`;
}

/** One word for a POSIX shell: as is when safe, else single-quoted. */
export function shellQuote(v: string): string {
  return /^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}
