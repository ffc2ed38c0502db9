// Switchboard options from the environment (documented in docs/switchboard.md). Secrets
// come from files so they never sit in a process listing or a status update.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseAcl, type Acl } from './acl.js';
import type { AuthConfig, BearerToken, Credential } from './auth.js';
import { LIMIT_MAXIMA, type Limits } from './limits.js';
import { SwitchboardConfigError } from './errors.js';
import { parseHostPort } from '../common/host-port.js';
import { parseDuration } from '../common/duration.js';
import { outputTailBytesFromEnv } from '../process/output-ring.js';
import { SWITCHBOARD_ENV as ENV } from '../contracts/switchboard.js';
import { normalizeOrigin } from './ws/origin.js';


export const MAX_HEARTBEAT_INTERVAL_MS = 3_600_000;
/** The operator's cap on `exec --hold-checks` unless set, and the largest cap accepted. */
export const DEFAULT_MAX_HEALTH_KILL_HOLD_MS = 3_600_000;
export const MAX_HEALTH_KILL_HOLD_MS = 7 * 86_400_000;

/**
 * `principal:token` per line, or a bare token (principal `default`); `#` comments. An
 * empty token or principal is an error naming `file` and the line: read as a credential,
 * it would match `Authorization: Bearer` with nothing after it.
 */
export function parseTokenFile(text: string, setting: string, file: string): BearerToken[] {
  const tokens: BearerToken[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    const token = colon === -1 ? { principal: 'default', token: line } : { principal: line.slice(0, colon).trim(), token: line.slice(colon + 1).trim() };
    if (!token.principal) throw new SwitchboardConfigError(setting, `${file} line ${i + 1}: empty principal before ':'`);
    if (!token.token) throw new SwitchboardConfigError(setting, `${file} line ${i + 1}: empty token for principal '${token.principal}'`);
    tokens.push(token);
  }
  return tokens;
}

/**
 * The Mesos `--credentials` file: JSON {"credentials":[{principal,secret}]} or `principal
 * secret` lines. Empty principals and secrets are errors naming `file` and the entry.
 */
export function parseCredentials(text: string, setting: string, file: string): Credential[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new SwitchboardConfigError(setting, `${file}: not valid JSON: ${(err as Error).message}`);
    }
    const list = (parsed as { credentials?: unknown }).credentials;
    if (!Array.isArray(list)) throw new SwitchboardConfigError(setting, `${file}: expected {"credentials": [...]}`);
    return list.map((c, i) => {
      const { principal, secret } = (c ?? {}) as { principal?: unknown; secret?: unknown };
      if (typeof principal !== 'string' || typeof secret !== 'string') throw new SwitchboardConfigError(setting, `${file}: credentials[${i}] needs string "principal" and "secret"`);
      if (!principal) throw new SwitchboardConfigError(setting, `${file}: credentials[${i}] has an empty "principal"`);
      if (!secret) throw new SwitchboardConfigError(setting, `${file}: credentials[${i}] has an empty "secret" for principal '${principal}'`);
      return { principal, secret };
    });
  }
  const credentials: Credential[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [principal, secret, ...rest] = line.split(/\s+/);
    if (!principal || secret === undefined || rest.length) throw new SwitchboardConfigError(setting, `${file} line ${i + 1}: expected 'principal secret'`);
    credentials.push({ principal, secret });
  }
  return credentials;
}

function configFilePath(value: string): string {
  return value.startsWith('file://') ? value.slice('file://'.length) : value;
}

function readConfigFile(variable: string, value: string): string {
  const path = configFilePath(value);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new SwitchboardConfigError(variable, `cannot read ${path}: ${(err as Error).message}`);
  }
}

function positiveInt(env: NodeJS.ProcessEnv, variable: string, max: number): number | undefined {
  const value = env[variable];
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value) || Number(value) <= 0 || Number(value) > max) throw new SwitchboardConfigError(variable, `expected an integer from 1 to ${max}, got '${value}'`);
  return Number(value);
}

export interface EnvOptions {
  host?: string;
  port?: number;
  socketPath?: string;
  auth: AuthConfig;
  acl?: Acl;
  limits: Partial<Limits>;
  heartbeatIntervalMs?: number;
  maxHealthKillHoldMs?: number;
  outputTailBytes: number;
  allowedOrigins?: string[];
}

/** MESOS_SIDECAR_SWITCHBOARD_ALLOWED_ORIGINS: `scheme://host[:port]` values, comma-separated. */
export function parseAllowedOrigins(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')
    .map((v) => {
      const origin = normalizeOrigin(v);
      if (origin === undefined) throw new SwitchboardConfigError(ENV.allowedOrigins, `expected origins as scheme://host[:port] (no path), comma-separated; got '${v}'`);
      return origin;
    });
}

/**
 * Reads the MESOS_SIDECAR_SWITCHBOARD_* variables. When the token file is named but does
 * not exist yet, a random token is generated into it (mode 0600), so that an operator (or
 * `mesos-sidecar run`) gets a locked-down switchboard without writing a secret by hand.
 */
export function switchboardOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): EnvOptions {
  const options: EnvOptions = { auth: {}, limits: {}, outputTailBytes: outputTailBytesFromEnv(env) };
  const maxHold = env[ENV.maxHealthKillHold];
  if (maxHold) {
    const ms = parseDuration(maxHold, ENV.maxHealthKillHold);
    if (ms <= 0 || ms > MAX_HEALTH_KILL_HOLD_MS) throw new SwitchboardConfigError(ENV.maxHealthKillHold, `expected a duration above 0 and at most 7days, got '${maxHold}'`);
    options.maxHealthKillHoldMs = ms;
  }
  const address = env[ENV.address];
  if (address) {
    const hostPort = parseHostPort(address);
    if (!hostPort) throw new SwitchboardConfigError(ENV.address, `expected HOST:PORT (e.g. 127.0.0.1:0 or [::1]:5051), got '${address}'`);
    options.host = hostPort.host;
    options.port = hostPort.port;
  }
  if (env[ENV.socket]) options.socketPath = env[ENV.socket]!;
  const tokenFile = env[ENV.tokenFile];
  if (tokenFile) {
    if (!existsSync(tokenFile)) {
      try {
        writeFileSync(tokenFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        throw new SwitchboardConfigError(ENV.tokenFile, `cannot create ${tokenFile}: ${(err as Error).message}`);
      }
    }
    options.auth.tokens = parseTokenFile(readConfigFile(ENV.tokenFile, tokenFile), ENV.tokenFile, tokenFile);
  }
  const credentials = env[ENV.credentials];
  if (credentials) options.auth.credentials = parseCredentials(readConfigFile(ENV.credentials, credentials), ENV.credentials, configFilePath(credentials));
  if (env[ENV.acl]) {
    const text = readConfigFile(ENV.acl, env[ENV.acl]!);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new SwitchboardConfigError(ENV.acl, `not valid JSON: ${(err as Error).message}`);
    }
    options.acl = parseAcl(parsed, ENV.acl);
  }
  for (const key of Object.keys(LIMIT_MAXIMA) as (keyof Limits)[]) {
    const value = positiveInt(env, ENV[key], LIMIT_MAXIMA[key]);
    if (value !== undefined) options.limits[key] = value;
  }
  if (env[ENV.allowedOrigins]) options.allowedOrigins = parseAllowedOrigins(env[ENV.allowedOrigins]!);
  const heartbeat = positiveInt(env, ENV.heartbeat, MAX_HEARTBEAT_INTERVAL_MS);
  if (heartbeat) options.heartbeatIntervalMs = heartbeat;
  return options;
}
