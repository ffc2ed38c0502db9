// Agent calls parsed once at the edge: `validation::agent::call::validate` (the same checks
// in the same order, with the same messages: clients and tests match on them) turns a
// decoded agent.Call into one typed value per call, so no handler reads optional fields.
import { SidecarError } from '../common/errors.js';
import type { agent, mesos } from '../proto/codec.js';
import { validateContainerId } from './container-id.js';

export type CallName = agent.Call.Type;

export type AgentCall =
  | {
      type: 'launch-session';
      name: 'LAUNCH_NESTED_CONTAINER_SESSION';
      id: mesos.ContainerID;
      parent: mesos.ContainerID;
      /** Checked by the handler, after the parent and idempotence answers, as the agent does. */
      command: mesos.CommandInfo | undefined;
      /** undefined when the call sets no ContainerInfo (then its type is MESOS). */
      containerType: mesos.ContainerInfo.Type | undefined;
      tty: mesos.TTYInfo | undefined;
    }
  // The first record of an input stream; one that is not CONTAINER_ID is refused by the handler.
  | { type: 'attach-input'; name: 'ATTACH_CONTAINER_INPUT'; first: { kind: 'container-id'; container: mesos.ContainerID } | { kind: 'process-io' } }
  | { type: 'attach-output'; name: 'ATTACH_CONTAINER_OUTPUT'; container: mesos.ContainerID }
  | { type: 'wait'; name: 'WAIT_CONTAINER' | 'WAIT_NESTED_CONTAINER'; container: mesos.ContainerID }
  | { type: 'kill'; name: 'KILL_CONTAINER' | 'KILL_NESTED_CONTAINER'; container: mesos.ContainerID; signal: number }
  | { type: 'remove'; name: 'REMOVE_CONTAINER' | 'REMOVE_NESTED_CONTAINER'; container: mesos.ContainerID }
  /** `get_containers` is optional: both flags default to false, as the agent reads them. */
  | { type: 'get-containers'; name: 'GET_CONTAINERS'; showNested: boolean; showStandalone: boolean }
  /** A valid call the switchboard does not serve (UNKNOWN included): answered 501. */
  | { type: 'not-served'; name: CallName };

/** Records after the first of an ATTACH_CONTAINER_INPUT stream. */
export type InputRecord = { kind: 'stdin'; data: Buffer } | { kind: 'window-size'; columns: number; rows: number } | { kind: 'heartbeat' };

/** An agent call (or input record) Mesos refuses; `field` is the call field at fault. */
export class AgentCallError extends SidecarError {
  readonly code = 'E_AGENT_CALL_INVALID';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

// Linux signal numbers: 1 (SIGHUP) to 64 (SIGRTMAX). Anything else would only reach
// kill(2) to fail there with EINVAL, which is the caller's mistake, not ours.
export const MAX_SIGNAL = 64;
const SIGKILL = 9;

const invalid = (field: string, message: string): never => {
  throw new AgentCallError(field, message);
};

function present<T>(field: string, value: T | undefined | null): T {
  return value ?? invalid(field, `Expecting '${field}' to be present`);
}

function containerId(field: string, id: mesos.ContainerID, requireParent: boolean): mesos.ContainerID {
  const error = validateContainerId(id);
  if (error) invalid(`${field}.container_id`, `'${field}.container_id' is invalid: ${error}`);
  if (requireParent && !id.parent) invalid(`${field}.container_id.parent`, `Expecting '${field}.container_id.parent' to be present`);
  return id;
}

function signalOf(field: string, signal: number | undefined): number {
  if (signal === undefined) return SIGKILL;
  if (Number.isInteger(signal) && signal >= 1 && signal <= MAX_SIGNAL) return signal;
  return invalid(`${field}.signal`, `'${field}.signal' must be a signal number from 1 to ${MAX_SIGNAL}, got ${signal}`);
}

function checkEnvironment(field: string, env: mesos.Environment | undefined): void {
  const at = `${field}.environment`;
  const bad = (message: string): never => invalid(at, `'${field}' is invalid: ${message}`);
  for (const v of env?.variables ?? []) {
    const type = v.type ?? 'VALUE';
    if (type === 'UNKNOWN') bad("Environment variable of type 'UNKNOWN' is not allowed");
    if (type === 'SECRET') {
      if (!v.secret) bad(`Environment variable '${v.name}' of type 'SECRET' must have a secret set`);
      if (v.value !== undefined) bad(`Environment variable '${v.name}' of type 'SECRET' must not have a value set`);
    } else {
      if (v.value === undefined) bad(`Environment variable '${v.name}' of type 'VALUE' must have a value set`);
      if (v.secret) bad(`Environment variable '${v.name}' of type 'VALUE' must not have a secret set`);
    }
  }
}

function launchSession(launch: agent.Call.LaunchNestedContainerSession): AgentCall {
  const field = 'launch_nested_container_session';
  const id = containerId(field, launch.container_id, true);
  if (launch.command) checkEnvironment(`${field}.command`, launch.command.environment);
  if (launch.container?.linux_info && launch.container.linux_info.share_cgroups === false) {
    invalid(`${field}.container.linux_info.share_cgroups`, `'${field}.container.linux_info' is invalid: 'share_cgroups' cannot be set to 'false' for nested container sessions`);
  }
  return {
    type: 'launch-session',
    name: 'LAUNCH_NESTED_CONTAINER_SESSION',
    id,
    parent: present(`${field}.container_id.parent`, id.parent),
    command: launch.command,
    containerType: launch.container ? (launch.container.type ?? 'MESOS') : undefined,
    tty: launch.container?.tty_info,
  };
}

function attachInput(input: agent.Call.AttachContainerInput): AgentCall {
  const field = 'attach_container_input';
  const type = present(`${field}.type`, input.type);
  if (type === 'UNKNOWN') invalid(`${field}.type`, `'${field}.type' is unknown`);
  if (type !== 'CONTAINER_ID') return { type: 'attach-input', name: 'ATTACH_CONTAINER_INPUT', first: { kind: 'process-io' } };
  const id = input.container_id ?? invalid(`${field}.container_id`, `'${field}.container_id' is invalid: ID must not be empty`);
  const error = validateContainerId(id);
  if (error) invalid(`${field}.container_id`, `'${field}.container_id' is invalid: ${error}`);
  return { type: 'attach-input', name: 'ATTACH_CONTAINER_INPUT', first: { kind: 'container-id', container: id } };
}

/** The typed call, or an AgentCallError with Mesos' message for the first failing check. */
export function parseAgentCall(call: agent.Call): AgentCall {
  const name = present('type', call.type);
  switch (name) {
    case 'LAUNCH_NESTED_CONTAINER_SESSION':
      return launchSession(present('launch_nested_container_session', call.launch_nested_container_session));
    case 'ATTACH_CONTAINER_INPUT':
      return attachInput(present('attach_container_input', call.attach_container_input));
    case 'ATTACH_CONTAINER_OUTPUT': {
      const output = present('attach_container_output', call.attach_container_output);
      return { type: 'attach-output', name, container: containerId('attach_container_output', output.container_id, false) };
    }
    case 'WAIT_NESTED_CONTAINER':
      return { type: 'wait', name, container: containerId('wait_nested_container', present('wait_nested_container', call.wait_nested_container).container_id, true) };
    case 'WAIT_CONTAINER':
      return { type: 'wait', name, container: containerId('wait_container', present('wait_container', call.wait_container).container_id, false) };
    case 'KILL_NESTED_CONTAINER': {
      const kill = present('kill_nested_container', call.kill_nested_container);
      return { type: 'kill', name, container: containerId('kill_nested_container', kill.container_id, true), signal: signalOf('kill_nested_container', kill.signal) };
    }
    case 'KILL_CONTAINER': {
      const kill = present('kill_container', call.kill_container);
      return { type: 'kill', name, container: containerId('kill_container', kill.container_id, false), signal: signalOf('kill_container', kill.signal) };
    }
    case 'REMOVE_NESTED_CONTAINER':
      return { type: 'remove', name, container: containerId('remove_nested_container', present('remove_nested_container', call.remove_nested_container).container_id, true) };
    case 'REMOVE_CONTAINER':
      return { type: 'remove', name, container: containerId('remove_container', present('remove_container', call.remove_container).container_id, false) };
    case 'GET_CONTAINERS':
      return { type: 'get-containers', name, showNested: call.get_containers?.show_nested ?? false, showStandalone: call.get_containers?.show_standalone ?? false };
    default:
      return { type: 'not-served', name };
  }
}

/**
 * A record after the first of an ATTACH_CONTAINER_INPUT stream
 * (`IOSwitchboardServerProcess::validate`). `tty`: whether TTY_INFO is allowed.
 */
export function parseInputRecord(call: agent.Call, tty: boolean): InputRecord {
  const input = call.attach_container_input;
  if (call.type !== 'ATTACH_CONTAINER_INPUT' || !input) return invalid('type', "Expecting 'type' to be 'ATTACH_CONTAINER_INPUT'");
  if (input.type !== 'PROCESS_IO') return invalid('attach_container_input.type', "Expecting 'attach_container_input.type' to be 'PROCESS_IO' instead of 'CONTAINER_ID'");
  const io = present('attach_container_input.process_io', input.process_io);
  switch (present('process_io.type', io.type)) {
    case 'CONTROL': {
      const control = present('process_io.control', io.control);
      const type = present('process_io.control.type', control.type);
      if (type === 'TTY_INFO') {
        const size = present('process_io.control.tty_info.window_size', present('process_io.control.tty_info', control.tty_info).window_size);
        if (!tty) invalid('process_io.control.tty_info', 'Unable to set the window size: the container was not launched with a TTY');
        return { kind: 'window-size', columns: size.columns, rows: size.rows };
      }
      if (type === 'HEARTBEAT') {
        present('process_io.control.heartbeat', control.heartbeat);
        return { kind: 'heartbeat' };
      }
      return invalid('process_io.control.type', "'process_io.control.type' is unknown");
    }
    case 'DATA': {
      const data = present('process_io.data', io.data);
      if (present('process_io.data.type', data.type) !== 'STDIN') invalid('process_io.data.type', "Expecting 'process_io.data.type' to be 'STDIN'");
      return { kind: 'stdin', data: present('process_io.data.data', data.data) };
    }
    default:
      return invalid('process_io.type', "'process_io.type' is unknown");
  }
}
