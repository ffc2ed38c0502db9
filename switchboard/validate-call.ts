// `validation::agent::call::validate` for the calls the switchboard serves: the same
// checks in the same order, with the same messages (clients and tests match on them).
import type { agent, mesos } from '../proto/codec.js';
import { validateContainerId } from './container-id.js';

function checkId(field: string, id: mesos.ContainerID, requireParent: boolean): string | undefined {
  const error = validateContainerId(id);
  if (error) return `'${field}.container_id' is invalid: ${error}`;
  if (requireParent && !id.parent) return `Expecting '${field}.container_id.parent' to be present`;
  return undefined;
}

function validateEnvironment(env: mesos.Environment | undefined): string | undefined {
  for (const v of env?.variables ?? []) {
    const type = v.type ?? 'VALUE';
    if (type === 'UNKNOWN') return "Environment variable of type 'UNKNOWN' is not allowed";
    if (type === 'SECRET') {
      if (!v.secret) return `Environment variable '${v.name}' of type 'SECRET' must have a secret set`;
      if (v.value !== undefined) return `Environment variable '${v.name}' of type 'SECRET' must not have a value set`;
    } else {
      if (v.value === undefined) return `Environment variable '${v.name}' of type 'VALUE' must have a value set`;
      if (v.secret) return `Environment variable '${v.name}' of type 'VALUE' must not have a secret set`;
    }
  }
  return undefined;
}

/** Returns Mesos' validation message for an invalid call, undefined when it is valid. */
// Linux signal numbers: 1 (SIGHUP) to 64 (SIGRTMAX). Anything else would only reach
// kill(2) to fail there with EINVAL, which is the caller's mistake, not ours.
export const MAX_SIGNAL = 64;

function checkSignal(field: string, signal: number | undefined): string | undefined {
  if (signal === undefined || (Number.isInteger(signal) && signal >= 1 && signal <= MAX_SIGNAL)) return undefined;
  return `'${field}.signal' must be a signal number from 1 to ${MAX_SIGNAL}, got ${signal}`;
}

export function validateAgentCall(call: agent.Call): string | undefined {
  if (call.type === undefined) return "Expecting 'type' to be present";
  switch (call.type) {
    case 'LAUNCH_NESTED_CONTAINER_SESSION': {
      const launch = call.launch_nested_container_session;
      if (!launch) return "Expecting 'launch_nested_container_session' to be present";
      const idError = checkId('launch_nested_container_session', launch.container_id, true);
      if (idError) return idError;
      if (launch.command) {
        const e = validateEnvironment(launch.command.environment);
        if (e) return `'launch_nested_container_session.command' is invalid: ${e}`;
      }
      if (launch.container?.linux_info && launch.container.linux_info.share_cgroups === false) {
        return "'launch_nested_container_session.container.linux_info' is invalid: 'share_cgroups' cannot be set to 'false' for nested container sessions";
      }
      return undefined;
    }
    case 'ATTACH_CONTAINER_INPUT': {
      const input = call.attach_container_input;
      if (!input) return "Expecting 'attach_container_input' to be present";
      if (input.type === undefined) return "Expecting 'attach_container_input.type' to be present";
      if (input.type === 'UNKNOWN') return "'attach_container_input.type' is unknown";
      if (input.type === 'CONTAINER_ID') {
        if (!input.container_id) return "'attach_container_input.container_id' is invalid: ID must not be empty";
        const e = validateContainerId(input.container_id);
        if (e) return `'attach_container_input.container_id' is invalid: ${e}`;
      }
      return undefined;
    }
    case 'ATTACH_CONTAINER_OUTPUT': {
      const output = call.attach_container_output;
      if (!output) return "Expecting 'attach_container_output' to be present";
      return checkId('attach_container_output', output.container_id, false);
    }
    case 'WAIT_NESTED_CONTAINER':
      if (!call.wait_nested_container) return "Expecting 'wait_nested_container' to be present";
      return checkId('wait_nested_container', call.wait_nested_container.container_id, true);
    case 'KILL_NESTED_CONTAINER':
      if (!call.kill_nested_container) return "Expecting 'kill_nested_container' to be present";
      return checkId('kill_nested_container', call.kill_nested_container.container_id, true) ?? checkSignal('kill_nested_container', call.kill_nested_container.signal);
    case 'REMOVE_NESTED_CONTAINER':
      if (!call.remove_nested_container) return "Expecting 'remove_nested_container' to be present";
      return checkId('remove_nested_container', call.remove_nested_container.container_id, true);
    case 'WAIT_CONTAINER':
      if (!call.wait_container) return "Expecting 'wait_container' to be present";
      return checkId('wait_container', call.wait_container.container_id, false);
    case 'KILL_CONTAINER':
      if (!call.kill_container) return "Expecting 'kill_container' to be present";
      return checkId('kill_container', call.kill_container.container_id, false) ?? checkSignal('kill_container', call.kill_container.signal);
    case 'REMOVE_CONTAINER':
      if (!call.remove_container) return "Expecting 'remove_container' to be present";
      return checkId('remove_container', call.remove_container.container_id, false);
    default:
      return undefined;
  }
}

/**
 * Validation of the records after the first one of an ATTACH_CONTAINER_INPUT stream
 * (`IOSwitchboardServerProcess::validate`). `tty` says whether TTY_INFO is allowed.
 */
export function validateInputRecord(call: agent.Call, tty: boolean): string | undefined {
  const input = call.attach_container_input;
  if (call.type !== 'ATTACH_CONTAINER_INPUT' || !input) return "Expecting 'type' to be 'ATTACH_CONTAINER_INPUT'";
  if (input.type !== 'PROCESS_IO') return "Expecting 'attach_container_input.type' to be 'PROCESS_IO' instead of 'CONTAINER_ID'";
  const io = input.process_io;
  if (!io) return "Expecting 'attach_container_input.process_io' to be present";
  if (io.type === undefined) return "Expecting 'process_io.type' to be present";
  switch (io.type) {
    case 'CONTROL': {
      const control = io.control;
      if (!control) return "Expecting 'process_io.control' to be present";
      if (control.type === undefined) return "Expecting 'process_io.control.type' to be present";
      if (control.type === 'TTY_INFO') {
        if (!control.tty_info) return "Expecting 'process_io.control.tty_info' to be present";
        if (!control.tty_info.window_size) return "Expecting 'process_io.control.tty_info.window_size' to be present";
        if (!tty) return 'Unable to set the window size: the container was not launched with a TTY';
        return undefined;
      }
      if (control.type === 'HEARTBEAT') {
        if (!control.heartbeat) return "Expecting 'process_io.control.heartbeat' to be present";
        return undefined;
      }
      return "'process_io.control.type' is unknown";
    }
    case 'DATA': {
      const data = io.data;
      if (!data) return "Expecting 'process_io.data' to be present";
      if (data.type === undefined) return "Expecting 'process_io.data.type' to be present";
      if (data.type !== 'STDIN') return "Expecting 'process_io.data.type' to be 'STDIN'";
      if (data.data === undefined) return "Expecting 'process_io.data.data' to be present";
      return undefined;
    }
    default:
      return "'process_io.type' is unknown";
  }
}
