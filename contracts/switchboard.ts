// The switchboard's names that the executor, the CLI and the switchboard share: its
// environment variables, whether it is configured, and the status label with its URL.
// The executor asks switchboardConfigured() before the switchboard's code loads (a remote
// shell is opt-in: enabled only when the operator configured credentials).

/** The MESOS_SIDECAR_SWITCHBOARD_* variables (docs/switchboard.md). */
export const SWITCHBOARD_ENV = {
  address: 'MESOS_SIDECAR_SWITCHBOARD_ADDRESS',
  socket: 'MESOS_SIDECAR_SWITCHBOARD_SOCKET',
  tokenFile: 'MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE',
  credentials: 'MESOS_SIDECAR_SWITCHBOARD_CREDENTIALS',
  acl: 'MESOS_SIDECAR_SWITCHBOARD_ACL',
  maxSessions: 'MESOS_SIDECAR_SWITCHBOARD_MAX_SESSIONS',
  maxRecordSize: 'MESOS_SIDECAR_SWITCHBOARD_MAX_RECORD_SIZE',
  maxQueuedBytes: 'MESOS_SIDECAR_SWITCHBOARD_MAX_QUEUED_BYTES',
  maxOutputReaders: 'MESOS_SIDECAR_SWITCHBOARD_MAX_OUTPUT_READERS',
  maxOutputReadersPerContainer: 'MESOS_SIDECAR_SWITCHBOARD_MAX_OUTPUT_READERS_PER_CONTAINER',
  maxTotalQueuedBytes: 'MESOS_SIDECAR_SWITCHBOARD_MAX_TOTAL_QUEUED_BYTES',
  bodyTimeoutMs: 'MESOS_SIDECAR_SWITCHBOARD_BODY_TIMEOUT_MS',
  headersTimeoutMs: 'MESOS_SIDECAR_SWITCHBOARD_HEADERS_TIMEOUT_MS',
  maxConnections: 'MESOS_SIDECAR_SWITCHBOARD_MAX_CONNECTIONS',
  fdReserve: 'MESOS_SIDECAR_SWITCHBOARD_FD_RESERVE',
  heartbeat: 'MESOS_SIDECAR_SWITCHBOARD_HEARTBEAT_INTERVAL_MS',
  maxHealthKillHold: 'MESOS_SIDECAR_SWITCHBOARD_MAX_HEALTH_KILL_HOLD',
  /** Origins (`https://dash.example.com`, comma-separated) whose pages may open gateway WebSockets besides the switchboard's own. */
  allowedOrigins: 'MESOS_SIDECAR_SWITCHBOARD_ALLOWED_ORIGINS',
} as const;

/**
 * Our request headers on agent API calls (docs/switchboard.md explains why headers and
 * not fields): a Mesos agent ignores them, and a Mesos client that sends none gets
 * exactly Mesos' behaviour.
 */
export const SWITCHBOARD_HEADERS = {
  /** On LAUNCH_NESTED_CONTAINER_SESSION: a Mesos duration (`30mins`) to hold the task's health kills for. */
  holdHealthKills: 'Mesos-Sidecar-Hold-Health-Kills',
  /** Answer to the above: when the hold ends at the latest (ISO 8601), after the operator's cap. */
  healthKillsHeldUntil: 'Mesos-Sidecar-Health-Kills-Held-Until',
  /** On ATTACH_CONTAINER_OUTPUT: replay up to this many bytes of recent output first. */
  outputTail: 'Mesos-Sidecar-Output-Tail',
} as const;

export function switchboardConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env[SWITCHBOARD_ENV.tokenFile] || env[SWITCHBOARD_ENV.credentials]);
}

/** Status label carrying the switchboard URL; `mesos-sidecar run` and clients read it. */
export const SWITCHBOARD_URL_LABEL = 'mesos-sidecar.switchboard.url';
