// parseAgentCall and parseInputRecord: each row is a decoded agent.Call (or input record),
// and either the typed value it becomes or the AgentCallError (field and Mesos' message).
import t from 'tap';
import type { agent, mesos } from '../../proto/codec.js';
import { AgentCallError, MAX_SIGNAL, parseAgentCall, parseInputRecord } from '../../switchboard/agent-call.js';

const root: mesos.ContainerID = { value: 'exec' };
const nested: mesos.ContainerID = { value: 'task', parent: root };
const command: mesos.CommandInfo = { value: 'bash', shell: true };

t.test('every call the switchboard serves becomes one typed value', async (t) => {
  const rows: Array<[string, agent.Call, unknown]> = [
    [
      'launch session with a TTY',
      { type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: nested, command, container: { type: 'MESOS', tty_info: { window_size: { rows: 24, columns: 80 } } } } },
      { type: 'launch-session', name: 'LAUNCH_NESTED_CONTAINER_SESSION', id: nested, parent: root, command, containerType: 'MESOS', tty: { window_size: { rows: 24, columns: 80 } } },
    ],
    [
      'launch session without ContainerInfo or command (refused later, by the handler, as Mesos orders it)',
      { type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: nested } },
      { type: 'launch-session', name: 'LAUNCH_NESTED_CONTAINER_SESSION', id: nested, parent: root, command: undefined, containerType: undefined, tty: undefined },
    ],
    [
      'ContainerInfo without a type means MESOS',
      { type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: nested, command, container: {} as mesos.ContainerInfo } },
      { type: 'launch-session', name: 'LAUNCH_NESTED_CONTAINER_SESSION', id: nested, parent: root, command, containerType: 'MESOS', tty: undefined },
    ],
    [
      'attach input, first record',
      { type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID', container_id: nested } },
      { type: 'attach-input', name: 'ATTACH_CONTAINER_INPUT', first: { kind: 'container-id', container: nested } },
    ],
    [
      'attach input starting with PROCESS_IO (refused by the handler)',
      { type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'PROCESS_IO' } },
      { type: 'attach-input', name: 'ATTACH_CONTAINER_INPUT', first: { kind: 'process-io' } },
    ],
    ['attach output', { type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: root } }, { type: 'attach-output', name: 'ATTACH_CONTAINER_OUTPUT', container: root }],
    ['wait', { type: 'WAIT_CONTAINER', wait_container: { container_id: root } }, { type: 'wait', name: 'WAIT_CONTAINER', container: root }],
    ['get containers without get_containers: both flags false', { type: 'GET_CONTAINERS' }, { type: 'get-containers', name: 'GET_CONTAINERS', showNested: false, showStandalone: false }],
    ['get containers, nested', { type: 'GET_CONTAINERS', get_containers: { show_nested: true } }, { type: 'get-containers', name: 'GET_CONTAINERS', showNested: true, showStandalone: false }],
    ['wait nested', { type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: nested } }, { type: 'wait', name: 'WAIT_NESTED_CONTAINER', container: nested }],
    ['kill without a signal: SIGKILL', { type: 'KILL_CONTAINER', kill_container: { container_id: nested } }, { type: 'kill', name: 'KILL_CONTAINER', container: nested, signal: 9 }],
    ['kill nested with SIGTERM', { type: 'KILL_NESTED_CONTAINER', kill_nested_container: { container_id: nested, signal: 15 } }, { type: 'kill', name: 'KILL_NESTED_CONTAINER', container: nested, signal: 15 }],
    ['kill with the largest signal', { type: 'KILL_CONTAINER', kill_container: { container_id: root, signal: MAX_SIGNAL } }, { type: 'kill', name: 'KILL_CONTAINER', container: root, signal: MAX_SIGNAL }],
    ['remove', { type: 'REMOVE_CONTAINER', remove_container: { container_id: root } }, { type: 'remove', name: 'REMOVE_CONTAINER', container: root }],
    ['remove nested', { type: 'REMOVE_NESTED_CONTAINER', remove_nested_container: { container_id: nested } }, { type: 'remove', name: 'REMOVE_NESTED_CONTAINER', container: nested }],
    ['a call the switchboard does not serve', { type: 'GET_HEALTH' }, { type: 'not-served', name: 'GET_HEALTH' }],
    ['UNKNOWN', { type: 'UNKNOWN' }, { type: 'not-served', name: 'UNKNOWN' }],
  ];
  for (const [why, call, expected] of rows) t.same(parseAgentCall(call), expected, why);
});

t.test('every refused call names its field, with Mesos\' message', async (t) => {
  const rows: Array<[agent.Call, string, string]> = [
    [{}, 'type', "Expecting 'type' to be present"],
    [{ type: 'LAUNCH_NESTED_CONTAINER_SESSION' }, 'launch_nested_container_session', "Expecting 'launch_nested_container_session' to be present"],
    [{ type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: { value: '' }, command } }, 'launch_nested_container_session.container_id', "'launch_nested_container_session.container_id' is invalid: ID must not be empty"],
    [{ type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: root, command } }, 'launch_nested_container_session.container_id.parent', "Expecting 'launch_nested_container_session.container_id.parent' to be present"],
    [
      { type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: nested, command: { value: 'x', environment: { variables: [{ name: 'A', type: 'UNKNOWN' }] } } } },
      'launch_nested_container_session.command.environment',
      "'launch_nested_container_session.command' is invalid: Environment variable of type 'UNKNOWN' is not allowed",
    ],
    [
      { type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: nested, command: { value: 'x', environment: { variables: [{ name: 'A' }] } } } },
      'launch_nested_container_session.command.environment',
      "'launch_nested_container_session.command' is invalid: Environment variable 'A' of type 'VALUE' must have a value set",
    ],
    [
      { type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: nested, command: { value: 'x', environment: { variables: [{ name: 'A', value: 'v', secret: { type: 'VALUE' } }] } } } },
      'launch_nested_container_session.command.environment',
      "'launch_nested_container_session.command' is invalid: Environment variable 'A' of type 'VALUE' must not have a secret set",
    ],
    [
      { type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: nested, command: { value: 'x', environment: { variables: [{ name: 'S', type: 'SECRET' }] } } } },
      'launch_nested_container_session.command.environment',
      "'launch_nested_container_session.command' is invalid: Environment variable 'S' of type 'SECRET' must have a secret set",
    ],
    [
      { type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: nested, command: { value: 'x', environment: { variables: [{ name: 'S', type: 'SECRET', value: 'v', secret: { type: 'VALUE' } }] } } } },
      'launch_nested_container_session.command.environment',
      "'launch_nested_container_session.command' is invalid: Environment variable 'S' of type 'SECRET' must not have a value set",
    ],
    [
      { type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: nested, command, container: { type: 'MESOS', linux_info: { share_cgroups: false } } } },
      'launch_nested_container_session.container.linux_info.share_cgroups',
      "'launch_nested_container_session.container.linux_info' is invalid: 'share_cgroups' cannot be set to 'false' for nested container sessions",
    ],
    [{ type: 'ATTACH_CONTAINER_INPUT' }, 'attach_container_input', "Expecting 'attach_container_input' to be present"],
    [{ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: {} }, 'attach_container_input.type', "Expecting 'attach_container_input.type' to be present"],
    [{ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'UNKNOWN' } }, 'attach_container_input.type', "'attach_container_input.type' is unknown"],
    [{ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID' } }, 'attach_container_input.container_id', "'attach_container_input.container_id' is invalid: ID must not be empty"],
    [{ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID', container_id: { value: 'a.b' } } }, 'attach_container_input.container_id', "'attach_container_input.container_id' is invalid: 'ContainerID.value' 'a.b' contains invalid characters"],
    [{ type: 'ATTACH_CONTAINER_OUTPUT' }, 'attach_container_output', "Expecting 'attach_container_output' to be present"],
    [{ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: { value: '..' } } }, 'attach_container_output.container_id', "'attach_container_output.container_id' is invalid: '..' is disallowed"],
    [{ type: 'WAIT_CONTAINER' }, 'wait_container', "Expecting 'wait_container' to be present"],
    [{ type: 'WAIT_CONTAINER', wait_container: { container_id: { value: 'a/b' } } }, 'wait_container.container_id', "'wait_container.container_id' is invalid: 'a/b' contains invalid characters"],
    [{ type: 'WAIT_NESTED_CONTAINER' }, 'wait_nested_container', "Expecting 'wait_nested_container' to be present"],
    [{ type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: root } }, 'wait_nested_container.container_id.parent', "Expecting 'wait_nested_container.container_id.parent' to be present"],
    [{ type: 'KILL_CONTAINER' }, 'kill_container', "Expecting 'kill_container' to be present"],
    [{ type: 'KILL_CONTAINER', kill_container: { container_id: { value: '' } } }, 'kill_container.container_id', "'kill_container.container_id' is invalid: ID must not be empty"],
    [{ type: 'KILL_CONTAINER', kill_container: { container_id: root, signal: 0 } }, 'kill_container.signal', `'kill_container.signal' must be a signal number from 1 to ${MAX_SIGNAL}, got 0`],
    [{ type: 'KILL_CONTAINER', kill_container: { container_id: root, signal: MAX_SIGNAL + 1 } }, 'kill_container.signal', `'kill_container.signal' must be a signal number from 1 to ${MAX_SIGNAL}, got ${MAX_SIGNAL + 1}`],
    [{ type: 'KILL_NESTED_CONTAINER' }, 'kill_nested_container', "Expecting 'kill_nested_container' to be present"],
    [{ type: 'KILL_NESTED_CONTAINER', kill_nested_container: { container_id: root } }, 'kill_nested_container.container_id.parent', "Expecting 'kill_nested_container.container_id.parent' to be present"],
    [{ type: 'KILL_NESTED_CONTAINER', kill_nested_container: { container_id: nested, signal: -1 } }, 'kill_nested_container.signal', `'kill_nested_container.signal' must be a signal number from 1 to ${MAX_SIGNAL}, got -1`],
    [{ type: 'REMOVE_CONTAINER' }, 'remove_container', "Expecting 'remove_container' to be present"],
    [{ type: 'REMOVE_CONTAINER', remove_container: { container_id: { value: '.' } } }, 'remove_container.container_id', "'remove_container.container_id' is invalid: '.' is disallowed"],
    [{ type: 'REMOVE_NESTED_CONTAINER' }, 'remove_nested_container', "Expecting 'remove_nested_container' to be present"],
    [{ type: 'REMOVE_NESTED_CONTAINER', remove_nested_container: { container_id: root } }, 'remove_nested_container.container_id.parent', "Expecting 'remove_nested_container.container_id.parent' to be present"],
  ];
  for (const [call, field, message] of rows) {
    t.throws(() => parseAgentCall(call), new AgentCallError(field, message), `${call.type ?? '(no type)'}: ${field}`);
    try {
      parseAgentCall(call);
    } catch (err) {
      t.equal((err as AgentCallError).field, field, `field of: ${message}`);
    }
  }
});

const input = (process_io: agent.ProcessIO): agent.Call => ({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'PROCESS_IO', process_io } });

t.test('input records after the first: typed values', async (t) => {
  const data = Buffer.from('ls\n');
  t.same(parseInputRecord(input({ type: 'DATA', data: { type: 'STDIN', data } }), false), { kind: 'stdin', data });
  t.same(parseInputRecord(input({ type: 'DATA', data: { type: 'STDIN', data: Buffer.alloc(0) } }), false), { kind: 'stdin', data: Buffer.alloc(0) }, 'an empty STDIN is EOF');
  t.same(parseInputRecord(input({ type: 'CONTROL', control: { type: 'TTY_INFO', tty_info: { window_size: { rows: 30, columns: 100 } } } }), true), { kind: 'window-size', columns: 100, rows: 30 });
  t.same(parseInputRecord(input({ type: 'CONTROL', control: { type: 'HEARTBEAT', heartbeat: {} } }), false), { kind: 'heartbeat' });
});

t.test('refused input records name their field', async (t) => {
  const rows: Array<[agent.Call, boolean, string, string]> = [
    [{ type: 'WAIT_CONTAINER' }, false, 'type', "Expecting 'type' to be 'ATTACH_CONTAINER_INPUT'"],
    [{ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID', container_id: nested } }, false, 'attach_container_input.type', "Expecting 'attach_container_input.type' to be 'PROCESS_IO' instead of 'CONTAINER_ID'"],
    [{ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'PROCESS_IO' } }, false, 'attach_container_input.process_io', "Expecting 'attach_container_input.process_io' to be present"],
    [input({}), false, 'process_io.type', "Expecting 'process_io.type' to be present"],
    [input({ type: 'UNKNOWN' }), false, 'process_io.type', "'process_io.type' is unknown"],
    [input({ type: 'CONTROL' }), false, 'process_io.control', "Expecting 'process_io.control' to be present"],
    [input({ type: 'CONTROL', control: {} }), false, 'process_io.control.type', "Expecting 'process_io.control.type' to be present"],
    [input({ type: 'CONTROL', control: { type: 'UNKNOWN' } }), false, 'process_io.control.type', "'process_io.control.type' is unknown"],
    [input({ type: 'CONTROL', control: { type: 'TTY_INFO' } }), true, 'process_io.control.tty_info', "Expecting 'process_io.control.tty_info' to be present"],
    [input({ type: 'CONTROL', control: { type: 'TTY_INFO', tty_info: {} } }), true, 'process_io.control.tty_info.window_size', "Expecting 'process_io.control.tty_info.window_size' to be present"],
    [input({ type: 'CONTROL', control: { type: 'TTY_INFO', tty_info: { window_size: { rows: 1, columns: 1 } } } }), false, 'process_io.control.tty_info', 'Unable to set the window size: the container was not launched with a TTY'],
    [input({ type: 'CONTROL', control: { type: 'HEARTBEAT' } }), false, 'process_io.control.heartbeat', "Expecting 'process_io.control.heartbeat' to be present"],
    [input({ type: 'DATA' }), false, 'process_io.data', "Expecting 'process_io.data' to be present"],
    [input({ type: 'DATA', data: {} }), false, 'process_io.data.type', "Expecting 'process_io.data.type' to be present"],
    [input({ type: 'DATA', data: { type: 'STDOUT', data: Buffer.from('x') } }), false, 'process_io.data.type', "Expecting 'process_io.data.type' to be 'STDIN'"],
    [input({ type: 'DATA', data: { type: 'STDIN' } }), false, 'process_io.data.data', "Expecting 'process_io.data.data' to be present"],
  ];
  for (const [call, tty, field, message] of rows) {
    t.throws(() => parseInputRecord(call, tty), new AgentCallError(field, message), `${field}: ${message}`);
    try {
      parseInputRecord(call, tty);
    } catch (err) {
      t.equal((err as AgentCallError).field, field, `field of: ${message}`);
    }
  }
});
