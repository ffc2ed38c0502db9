// A task's checks as the checks engine parses them (checks/definitions.ts): small per-kind
// structs with every default applied. Plain data, so that the executor's TaskSpec can carry
// them from the edge to create() without either side reading the protobuf again.

export type CheckType = 'COMMAND' | 'HTTP' | 'TCP';

export interface CommandSpec {
  type: 'COMMAND';
  /** true: `/bin/sh -c value`; false: exec `value` with `argv`. */
  shell: boolean;
  value: string;
  /** Full argv for the exec form (argv[0] included), as CommandInfo.arguments. */
  argv: string[];
  /** CommandInfo.environment, overlaid on the task's environment when the probe runs. */
  environment: Record<string, string>;
}

export interface HttpSpec {
  type: 'HTTP';
  scheme: 'http' | 'https';
  host: '127.0.0.1' | '::1';
  port: number;
  /** Always starts with '/'. */
  path: string;
  /** Redirects to the same host and port are followed (limit 50); readiness follows none. */
  followRedirects: boolean;
}

export interface TcpSpec {
  type: 'TCP';
  host: '127.0.0.1' | '::1';
  port: number;
}

export type ProbeSpec = CommandSpec | HttpSpec | TcpSpec;

export interface CheckTiming {
  delayMs: number;
  intervalMs: number;
  /** 0 = no timeout. */
  timeoutMs: number;
}

export interface HealthCheckDefinition extends CheckTiming {
  kind: 'health';
  probe: ProbeSpec;
  consecutiveFailures: number;
  gracePeriodMs: number;
  /** HTTP only: status codes counted as healthy; empty = the 200..399 rule. */
  statuses: number[];
}

export interface GeneralCheckDefinition extends CheckTiming {
  kind: 'check';
  probe: ProbeSpec;
}

export interface ReadinessCheckDefinition {
  kind: 'readiness';
  name: string;
  probe: ProbeSpec;
  /** The Marathon protocol as written (HTTP, HTTPS, TCP, COMMAND). */
  protocol: 'HTTP' | 'HTTPS' | 'TCP' | 'COMMAND';
  portName?: string;
  intervalMs: number;
  timeoutMs: number;
  httpStatusCodesForReady: number[];
  preserveLastResponse: boolean;
}

export interface TaskCheckDefinitions {
  health?: HealthCheckDefinition;
  check?: GeneralCheckDefinition;
  readiness?: ReadinessCheckDefinition;
}
