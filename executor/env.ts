// The MESOS_* environment an agent hands its executor (shared/spec/executor-api.md §1),
// parsed once into a typed config. Anything missing or malformed is an EnvironmentError
// naming the variable, so an operator sees at once what the agent (or they) got wrong.
import { EnvironmentError } from '../common/errors.js';
import { parseDuration } from '../common/duration.js';
import { formatHostPort, parseHostPort } from '../common/host-port.js';
import { JSON_TYPE, PROTOBUF_TYPE, type MessageContentType } from '../proto/codec.js';
import { parseLibprocessSsl, type LibprocessSsl } from './tls-config.js';
import { DEFAULT_KILL_STORM, type KillStormSettings } from './health-kill-gate.js';
import { outputTailBytesFromEnv } from '../process/output-ring.js';

export interface ExecutorConfig {
  frameworkId: string;
  executorId: string;
  agentId?: string;
  /** Base URL of the agent, e.g. http://127.0.0.1:5051 */
  agentUrl: string;
  /** Path of the executor API on the agent. */
  apiPath: string;
  /** Unix socket to speak HTTP over instead of TCP (MESOS_DOMAIN_SOCKET). */
  socketPath?: string;
  sandbox: string;
  checkpoint: boolean;
  recoveryTimeoutMs: number;
  subscriptionBackoffMaxMs: number;
  shutdownGracePeriodMs: number;
  authToken?: string;
  contentType: MessageContentType;
  /** libprocess' SSL settings (LIBPROCESS_SSL_* / SSL_*); `enabled` makes agentUrl https. */
  ssl: LibprocessSsl;
  /** Things about those settings worth a log line (mismatched prefixes, ignored flags). */
  sslWarnings: string[];
  /**
   * Environment handed to tasks: ours minus the secrets tasks must not inherit. The
   * LIBPROCESS_SSL_* variables stay in, so a libprocess task talks TLS like we do.
   */
  taskEnvironment: Record<string, string>;
  /** The kill-storm guard (MESOS_SIDECAR_KILL_STORM_*, docs/checks.md). */
  killStorm: KillStormSettings;
  /** Output bytes kept per TTY task for attach with a tail (0: none). */
  outputTailBytes: number;
}

/** The kill-storm guard's settings (docs/checks.md, "The kill-storm guard"). */
export const KILL_STORM_ENV = {
  share: 'MESOS_SIDECAR_KILL_STORM_SHARE',
  minTasks: 'MESOS_SIDECAR_KILL_STORM_MIN_TASKS',
  holdOff: 'MESOS_SIDECAR_KILL_STORM_HOLD_OFF',
} as const;

/** The longest hold-off: a day of held kills is already a broken agent nobody looked at. */
export const MAX_KILL_STORM_HOLD_OFF_MS = 86_400_000;
export const MAX_KILL_STORM_MIN_TASKS = 100_000;

export function parseKillStorm(env: NodeJS.ProcessEnv): KillStormSettings {
  const settings = { ...DEFAULT_KILL_STORM };
  const share = env[KILL_STORM_ENV.share];
  if (share !== undefined && share !== '') {
    const value = /^\d+(\.\d+)?$/.test(share) ? Number(share) : NaN;
    if (!(value > 0 && value <= 1)) throw new EnvironmentError(KILL_STORM_ENV.share, `expected a fraction above 0 and at most 1 (e.g. 0.5; 1 turns the guard off), got '${share}'`);
    settings.share = value;
  }
  const minTasks = env[KILL_STORM_ENV.minTasks];
  if (minTasks !== undefined && minTasks !== '') {
    if (!/^\d+$/.test(minTasks) || Number(minTasks) < 1 || Number(minTasks) > MAX_KILL_STORM_MIN_TASKS) {
      throw new EnvironmentError(KILL_STORM_ENV.minTasks, `expected an integer from 1 to ${MAX_KILL_STORM_MIN_TASKS}, got '${minTasks}'`);
    }
    settings.minTasks = Number(minTasks);
  }
  const holdOff = env[KILL_STORM_ENV.holdOff];
  if (holdOff !== undefined && holdOff !== '') {
    const ms = parseDuration(holdOff, KILL_STORM_ENV.holdOff);
    if (ms > MAX_KILL_STORM_HOLD_OFF_MS) throw new EnvironmentError(KILL_STORM_ENV.holdOff, `must be at most 1days, got '${holdOff}'`);
    settings.holdOffMs = ms;
  }
  return settings;
}

const DEFAULT_RECOVERY_TIMEOUT = '15mins';
const DEFAULT_BACKOFF_MAX = '2secs';
const DEFAULT_SHUTDOWN_GRACE = '5secs';

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new EnvironmentError(name, 'is required but not set');
  return value;
}

/** `<ip>:<port>` or `[<ipv6>]:<port>`; returns a URL origin. */
function parseEndpoint(text: string, variable: string): string {
  const endpoint = parseHostPort(text);
  if (!endpoint || endpoint.port === 0) throw new EnvironmentError(variable, `${JSON.stringify(text)} is not an <ip>:<port> endpoint`);
  return formatHostPort(endpoint);
}

/** libprocess UPID `<id>@<ip>:<port>`, e.g. `slave(1)@10.0.0.5:5051`. */
function parseUpid(text: string, variable: string): { id: string; endpoint: string } {
  const at = text.indexOf('@');
  if (at <= 0) throw new EnvironmentError(variable, `${JSON.stringify(text)} is not a libprocess PID like slave(1)@10.0.0.5:5051`);
  return { id: text.slice(0, at), endpoint: parseEndpoint(text.slice(at + 1), variable) };
}

export function parseExecutorEnvironment(env: NodeJS.ProcessEnv): ExecutorConfig {
  const frameworkId = required(env, 'MESOS_FRAMEWORK_ID');
  const executorId = required(env, 'MESOS_EXECUTOR_ID');

  // The documented endpoint wins; the UPID is what the upstream library uses and is
  // always set as well, so either one is enough to find the agent.
  let endpoint: string;
  let apiPath = '/api/v1/executor';
  if (env.MESOS_AGENT_ENDPOINT) {
    endpoint = parseEndpoint(env.MESOS_AGENT_ENDPOINT, 'MESOS_AGENT_ENDPOINT');
  } else if (env.MESOS_SLAVE_PID) {
    const upid = parseUpid(env.MESOS_SLAVE_PID, 'MESOS_SLAVE_PID');
    endpoint = upid.endpoint;
    apiPath = `/${upid.id}/api/v1/executor`;
  } else {
    throw new EnvironmentError('MESOS_AGENT_ENDPOINT', 'is required but not set (nor is MESOS_SLAVE_PID)');
  }

  const sandbox = env.MESOS_SANDBOX || env.MESOS_DIRECTORY;
  if (!sandbox) throw new EnvironmentError('MESOS_SANDBOX', 'is required but not set (nor is MESOS_DIRECTORY)');

  const checkpointText = env.MESOS_CHECKPOINT;
  if (checkpointText !== undefined && checkpointText !== '0' && checkpointText !== '1') {
    throw new EnvironmentError('MESOS_CHECKPOINT', `${JSON.stringify(checkpointText)} is neither "1" nor "0"`);
  }
  const checkpoint = checkpointText === '1';

  // Upstream exits when checkpointing without these; we take the agent's defaults only
  // when the variable is absent and still refuse a malformed one.
  const recoveryTimeoutMs = parseDuration(env.MESOS_RECOVERY_TIMEOUT ?? DEFAULT_RECOVERY_TIMEOUT, 'MESOS_RECOVERY_TIMEOUT');
  const subscriptionBackoffMaxMs = parseDuration(env.MESOS_SUBSCRIPTION_BACKOFF_MAX ?? DEFAULT_BACKOFF_MAX, 'MESOS_SUBSCRIPTION_BACKOFF_MAX');
  const shutdownGracePeriodMs = parseDuration(
    env.MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD ?? DEFAULT_SHUTDOWN_GRACE,
    'MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD',
  );

  let contentType: MessageContentType = PROTOBUF_TYPE;
  const encoding = env.MESOS_SIDECAR_ENCODING;
  if (encoding === 'json') contentType = JSON_TYPE;
  else if (encoding !== undefined && encoding !== '' && encoding !== 'protobuf') {
    throw new EnvironmentError('MESOS_SIDECAR_ENCODING', `${JSON.stringify(encoding)} is neither "json" nor "protobuf"`);
  }

  // libprocess' reading, not the default executor's SSL_ENABLED-first one: the TLS
  // context comes from these same settings, so the scheme has to agree with it.
  const { ssl, warnings: sslWarnings } = parseLibprocessSsl(env);

  const authToken = env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN || undefined;
  const taskEnvironment: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && k !== 'MESOS_EXECUTOR_AUTHENTICATION_TOKEN') taskEnvironment[k] = v;
  }

  const config: ExecutorConfig = {
    frameworkId,
    executorId,
    agentUrl: `${ssl.enabled ? 'https' : 'http'}://${endpoint}`,
    apiPath,
    sandbox,
    checkpoint,
    recoveryTimeoutMs,
    subscriptionBackoffMaxMs,
    shutdownGracePeriodMs,
    contentType,
    ssl,
    sslWarnings,
    taskEnvironment,
    killStorm: parseKillStorm(env),
    outputTailBytes: outputTailBytesFromEnv(env),
  };
  if (env.MESOS_SLAVE_ID) config.agentId = env.MESOS_SLAVE_ID;
  if (env.MESOS_DOMAIN_SOCKET) config.socketPath = env.MESOS_DOMAIN_SOCKET;
  if (authToken) config.authToken = authToken;
  return config;
}
