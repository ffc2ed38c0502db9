// Parses HealthCheck, CheckInfo and readiness definitions once, at launch, into small
// per-kind structs with every default applied (shared/spec/checks.md §1, §2, §9). Nothing
// downstream reads the protobuf shapes again. Invalid definitions throw a
// CheckDefinitionError naming the field path and the bad value.
import { durationProblem } from '../common/duration.js';
import { Codec, codecs, unknownEnumMessage, type mesos } from '../proto/codec.js';
import type { CheckType, CommandSpec, GeneralCheckDefinition, HealthCheckDefinition, ProbeSpec, ReadinessCheckDefinition, TaskCheckDefinitions } from '../contracts/check-definitions.js';
import { CheckDefinitionError, ReadinessLabelError } from './errors.js';

/** The TaskInfo label that holds a Marathon readiness check as JSON (docs/checks.md). */
export const READINESS_CHECK_LABEL = 'mesos-sidecar.readiness-check';

export type { CheckType, CommandSpec, HttpSpec, TcpSpec, ProbeSpec, CheckTiming, HealthCheckDefinition, GeneralCheckDefinition, ReadinessCheckDefinition, TaskCheckDefinitions } from '../contracts/check-definitions.js';

const VariableCodec = new Codec<mesos.Environment.Variable>('mesos.v1.Environment.Variable');
const SecretCodec = new Codec<mesos.Secret>('mesos.v1.Secret');

function invalid(field: string, message: string): never {
  throw new CheckDefinitionError(field, message);
}

function seconds(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) invalid(field, `${field} must be >= 0, got ${value}`);
  const problem = durationProblem(value * 1000);
  if (problem) invalid(field, `${field} ${problem}`);
  return value * 1000;
}

function port(field: string, value: number | undefined): number {
  if (value === undefined || value === null) invalid(field, `${field} is required`);
  // Port 0 cannot be connected to; upstream would fail every probe. Reject it up front.
  if (!Number.isInteger(value) || value < 1 || value > 65535) invalid(field, `${field} must be in 1..65535, got ${value}`);
  return value;
}

function httpPath(field: string, value: string | undefined): string {
  if (value === undefined) return '/';
  if (!value.startsWith('/')) invalid(field, `${field} must start with '/', got ${JSON.stringify(value)}`);
  return value;
}

function hostFor(protocol: mesos.NetworkInfo.Protocol): '127.0.0.1' | '::1' {
  return protocol === 'IPv6' ? '::1' : '127.0.0.1';
}

/** Environment variables of a check's CommandInfo, validated as validateEnvironment does. */
function environment(field: string, env: mesos.Environment | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  (env?.variables ?? []).forEach((v, i) => {
    const vf = `${field}.variables[${i}]`;
    const type = v.type ?? VariableCodec.fieldDefault('type');
    switch (type) {
      case 'VALUE':
        if (v.secret !== undefined) invalid(`${vf}.secret`, `${vf}.secret must not be set for a VALUE variable ('${v.name}')`);
        if (v.value === undefined) invalid(`${vf}.value`, `${vf}.value is required for VALUE variable '${v.name}'`);
        out[v.name] = v.value;
        break;
      case 'SECRET': {
        if (v.value !== undefined) invalid(`${vf}.value`, `${vf}.value must not be set for a SECRET variable ('${v.name}')`);
        if (v.secret === undefined) invalid(`${vf}.secret`, `${vf}.secret is required for SECRET variable '${v.name}'`);
        const stype = v.secret.type ?? SecretCodec.fieldDefault('type');
        // There is no secret resolver in the executor: only inline VALUE secrets can be used.
        if (stype !== 'VALUE' || v.secret.value === undefined || v.secret.reference !== undefined) {
          invalid(`${vf}.secret`, `${vf}.secret must be an inline VALUE secret (got type ${stype}); secret references cannot be resolved by the executor`);
        }
        out[v.name] = v.secret.value.data.toString('utf8');
        break;
      }
      default:
        invalid(`${vf}.type`, `${vf}.type must be VALUE or SECRET, got ${type}`);
    }
  });
  return out;
}

export function parseCommandInfo(field: string, command: mesos.CommandInfo): CommandSpec {
  const shell = command.shell ?? codecs.mesos.CommandInfo.fieldDefault('shell');
  if (command.value === undefined || command.value === '') {
    invalid(`${field}.value`, `${field}.value is required (the ${shell ? 'shell command' : 'executable path'}), got ${JSON.stringify(command.value ?? null)}`);
  }
  return {
    type: 'COMMAND',
    shell,
    value: command.value,
    argv: command.arguments ?? [],
    environment: environment(`${field}.environment`, command.environment),
  };
}

const CHECK_TYPES: readonly CheckType[] = ['COMMAND', 'HTTP', 'TCP'];

function checkType(field: string, type: string | undefined): CheckType {
  if (type === undefined) invalid(field, `${field} is required (COMMAND, HTTP or TCP)`);
  if (type !== 'COMMAND' && type !== 'HTTP' && type !== 'TCP') invalid(field, unknownEnumMessage(field, type, CHECK_TYPES));
  return type;
}

/** `prefix` is where the HealthCheck sits, e.g. "health_check" inside a TaskInfo. */
export function parseHealthCheck(hc: mesos.HealthCheck, prefix = 'health_check'): HealthCheckDefinition {
  const C = codecs.mesos.HealthCheck;
  const type = checkType(`${prefix}.type`, hc.type);
  let probe: ProbeSpec;
  let statuses: number[] = [];
  switch (type) {
    case 'COMMAND':
      if (!hc.command) invalid(`${prefix}.command`, `${prefix}.command is required for a COMMAND health check`);
      probe = parseCommandInfo(`${prefix}.command`, hc.command);
      break;
    case 'HTTP': {
      const http = hc.http;
      if (!http) invalid(`${prefix}.http`, `${prefix}.http is required for an HTTP health check`);
      const scheme = http.scheme ?? 'http';
      if (scheme !== 'http' && scheme !== 'https') invalid(`${prefix}.http.scheme`, `${prefix}.http.scheme must be "http" or "https", got ${JSON.stringify(scheme)}`);
      statuses = (http.statuses ?? []).map((s, i) => {
        if (!Number.isInteger(s) || s < 100 || s > 599) invalid(`${prefix}.http.statuses[${i}]`, `${prefix}.http.statuses[${i}] must be an HTTP status code in 100..599, got ${s}`);
        return s;
      });
      probe = {
        type: 'HTTP',
        scheme,
        host: hostFor(http.protocol ?? codecs.mesos.HTTPCheckInfo.fieldDefault('protocol')),
        port: port(`${prefix}.http.port`, http.port),
        path: httpPath(`${prefix}.http.path`, http.path),
        followRedirects: true,
      };
      break;
    }
    case 'TCP': {
      const tcp = hc.tcp;
      if (!tcp) invalid(`${prefix}.tcp`, `${prefix}.tcp is required for a TCP health check`);
      probe = {
        type: 'TCP',
        host: hostFor(tcp.protocol ?? codecs.mesos.TCPCheckInfo.fieldDefault('protocol')),
        port: port(`${prefix}.tcp.port`, tcp.port),
      };
      break;
    }
  }
  const failures = hc.consecutive_failures ?? C.fieldDefault('consecutive_failures');
  if (!Number.isInteger(failures) || failures < 0) invalid(`${prefix}.consecutive_failures`, `${prefix}.consecutive_failures must be an integer >= 0, got ${failures}`);
  return {
    kind: 'health',
    probe,
    statuses,
    delayMs: seconds(`${prefix}.delay_seconds`, hc.delay_seconds ?? C.fieldDefault('delay_seconds')),
    intervalMs: seconds(`${prefix}.interval_seconds`, hc.interval_seconds ?? C.fieldDefault('interval_seconds')),
    timeoutMs: seconds(`${prefix}.timeout_seconds`, hc.timeout_seconds ?? C.fieldDefault('timeout_seconds')),
    gracePeriodMs: seconds(`${prefix}.grace_period_seconds`, hc.grace_period_seconds ?? C.fieldDefault('grace_period_seconds')),
    consecutiveFailures: failures,
  };
}

/** `prefix` is where the CheckInfo sits, e.g. "check" inside a TaskInfo. */
export function parseCheckInfo(ci: mesos.CheckInfo, prefix = 'check'): GeneralCheckDefinition {
  const C = codecs.mesos.CheckInfo;
  const type = checkType(`${prefix}.type`, ci.type);
  let probe: ProbeSpec;
  switch (type) {
    case 'COMMAND':
      if (!ci.command) invalid(`${prefix}.command`, `${prefix}.command is required for a COMMAND check`);
      if (!ci.command.command) invalid(`${prefix}.command.command`, `${prefix}.command.command is required for a COMMAND check`);
      probe = parseCommandInfo(`${prefix}.command.command`, ci.command.command);
      break;
    case 'HTTP':
      if (!ci.http) invalid(`${prefix}.http`, `${prefix}.http is required for an HTTP check`);
      // General HTTP checks have neither scheme nor protocol (spec §1.2).
      probe = {
        type: 'HTTP',
        scheme: 'http',
        host: '127.0.0.1',
        port: port(`${prefix}.http.port`, ci.http.port),
        path: httpPath(`${prefix}.http.path`, ci.http.path),
        followRedirects: true,
      };
      break;
    case 'TCP':
      if (!ci.tcp) invalid(`${prefix}.tcp`, `${prefix}.tcp is required for a TCP check`);
      probe = { type: 'TCP', host: '127.0.0.1', port: port(`${prefix}.tcp.port`, ci.tcp.port) };
      break;
  }
  return {
    kind: 'check',
    probe,
    delayMs: seconds(`${prefix}.delay_seconds`, ci.delay_seconds ?? C.fieldDefault('delay_seconds')),
    intervalMs: seconds(`${prefix}.interval_seconds`, ci.interval_seconds ?? C.fieldDefault('interval_seconds')),
    timeoutMs: seconds(`${prefix}.timeout_seconds`, ci.timeout_seconds ?? C.fieldDefault('timeout_seconds')),
  };
}

// Marathon's defaults (ReadinessCheck.scala), spec §9.1.
export const READINESS_DEFAULTS = {
  name: 'readinessCheck',
  protocol: 'HTTP',
  path: '/',
  portName: 'http-api',
  intervalSeconds: 30,
  timeoutSeconds: 10,
  httpStatusCodesForReady: [200],
  preserveLastResponse: false,
} as const;

const READINESS_PROTOCOLS: ReadonlyArray<ReadinessCheckDefinition['protocol']> = ['HTTP', 'HTTPS', 'TCP', 'COMMAND'];
const READINESS_KEYS = new Set(['name', 'protocol', 'path', 'portName', 'intervalSeconds', 'timeoutSeconds', 'httpStatusCodesForReady', 'preserveLastResponse', 'command']);

/**
 * Parses the Marathon readiness JSON; `ports` maps DiscoveryInfo port names to numbers, and
 * `portsField` is where they sit (for the message when `portName` names none).
 */
export function parseReadinessCheck(
  json: unknown,
  ports: ReadonlyMap<string, number>,
  prefix = `labels[${READINESS_CHECK_LABEL}]`,
  portsField = 'discovery.ports',
): ReadinessCheckDefinition {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) invalid(prefix, `${prefix} must be a JSON object`);
  const o = json as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!READINESS_KEYS.has(key)) invalid(`${prefix}.${key}`, `${prefix}.${key} is not a readiness check field`);
  const str = (key: string, dflt: string): string => {
    const v = o[key] ?? dflt;
    if (typeof v !== 'string' || v === '') invalid(`${prefix}.${key}`, `${prefix}.${key} must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  };
  const num = (key: string, dflt: number): number => {
    const v = o[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) invalid(`${prefix}.${key}`, `${prefix}.${key} must be a number > 0, got ${JSON.stringify(v)}`);
    return v;
  };
  const name = str('name', READINESS_DEFAULTS.name);
  const protocol = str('protocol', READINESS_DEFAULTS.protocol);
  if (protocol !== 'HTTP' && protocol !== 'HTTPS' && protocol !== 'TCP' && protocol !== 'COMMAND') {
    invalid(`${prefix}.protocol`, unknownEnumMessage(`${prefix}.protocol`, protocol, READINESS_PROTOCOLS));
  }
  const intervalSeconds = num('intervalSeconds', READINESS_DEFAULTS.intervalSeconds);
  const timeoutSeconds = num('timeoutSeconds', READINESS_DEFAULTS.timeoutSeconds);
  if (timeoutSeconds >= intervalSeconds) {
    invalid(`${prefix}.timeoutSeconds`, `${prefix}.timeoutSeconds must be less than intervalSeconds (${intervalSeconds}), got ${timeoutSeconds}`);
  }
  const codes = o.httpStatusCodesForReady ?? READINESS_DEFAULTS.httpStatusCodesForReady;
  if (!Array.isArray(codes) || codes.length === 0) invalid(`${prefix}.httpStatusCodesForReady`, `${prefix}.httpStatusCodesForReady must be a non-empty array, got ${JSON.stringify(codes)}`);
  codes.forEach((c, i) => {
    if (!Number.isInteger(c) || (c as number) < 100 || (c as number) > 599) invalid(`${prefix}.httpStatusCodesForReady[${i}]`, `${prefix}.httpStatusCodesForReady[${i}] must be an HTTP status code, got ${JSON.stringify(c)}`);
  });
  const preserve = o.preserveLastResponse ?? READINESS_DEFAULTS.preserveLastResponse;
  if (typeof preserve !== 'boolean') invalid(`${prefix}.preserveLastResponse`, `${prefix}.preserveLastResponse must be a boolean, got ${JSON.stringify(preserve)}`);

  let probe: ProbeSpec;
  let portName: string | undefined;
  if (protocol === 'COMMAND') {
    if (o.command === undefined) invalid(`${prefix}.command`, `${prefix}.command is required for a COMMAND readiness check`);
    let info: mesos.CommandInfo;
    try {
      info = codecs.mesos.CommandInfo.fromJsonValue(o.command);
    } catch (err) {
      invalid(`${prefix}.command`, `${prefix}.command is not a CommandInfo: ${(err as Error).message}`);
    }
    probe = parseCommandInfo(`${prefix}.command`, info);
  } else {
    if (o.command !== undefined) invalid(`${prefix}.command`, `${prefix}.command is only allowed with protocol COMMAND`);
    portName = str('portName', READINESS_DEFAULTS.portName);
    const number = ports.get(portName);
    if (number === undefined) {
      const known = [...ports.keys()];
      invalid(`${prefix}.portName`, `${prefix}.portName ${JSON.stringify(portName)} names no port in ${portsField} (${known.length ? known.map((k) => JSON.stringify(k)).join(', ') : 'none named'})`);
    }
    const p = port(`${portsField}[${portName}].number`, number);
    probe =
      protocol === 'TCP'
        ? { type: 'TCP', host: '127.0.0.1', port: p }
        : { type: 'HTTP', scheme: protocol === 'HTTPS' ? 'https' : 'http', host: '127.0.0.1', port: p, path: httpPath(`${prefix}.path`, str('path', READINESS_DEFAULTS.path)), followRedirects: false };
  }
  return {
    kind: 'readiness',
    name,
    protocol,
    probe,
    ...(portName !== undefined ? { portName } : {}),
    intervalMs: seconds(`${prefix}.intervalSeconds`, intervalSeconds),
    timeoutMs: seconds(`${prefix}.timeoutSeconds`, timeoutSeconds),
    httpStatusCodesForReady: codes as number[],
    preserveLastResponse: preserve,
  };
}

/** Named ports of the task (DiscoveryInfo.ports), for readiness `portName`. */
export function namedPorts(task: mesos.TaskInfo): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of task.discovery?.ports?.ports ?? []) if (p.name) out.set(p.name, p.number);
  return out;
}

function readinessFromLabels(task: mesos.TaskInfo, root: string): ReadinessCheckDefinition | undefined {
  const labels = (task.labels?.labels ?? []).filter((l) => l.key === READINESS_CHECK_LABEL);
  if (labels.length === 0) return undefined;
  const field = `${root}.labels[${READINESS_CHECK_LABEL}]`;
  // Marathon allows one readiness check per application; so do we.
  if (labels.length > 1) invalid(field, `${field} appears ${labels.length} times; one readiness check per task`);
  let json: unknown;
  try {
    json = JSON.parse(labels[0]!.value ?? '');
  } catch (err) {
    throw new ReadinessLabelError(field, `${field} is not valid JSON: ${(err as Error).message}`);
  }
  return parseReadinessCheck(json, namedPorts(task), field, `${root}.discovery.ports`);
}

/**
 * Every check the task declares, parsed; throws CheckDefinitionError/ReadinessLabelError
 * whose field is a path from `root` (e.g. `TaskInfo.health_check.http.port`).
 */
export function parseTaskChecks(task: mesos.TaskInfo, root = 'TaskInfo'): TaskCheckDefinitions {
  const out: TaskCheckDefinitions = {};
  if (task.health_check) out.health = parseHealthCheck(task.health_check, `${root}.health_check`);
  if (task.check) out.check = parseCheckInfo(task.check, `${root}.check`);
  const readiness = readinessFromLabels(task, root);
  if (readiness) out.readiness = readiness;
  return out;
}
