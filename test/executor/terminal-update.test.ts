// Every row of the terminal-update decision: the command executor's `reaped` and the
// default executor's `waited` (upstream src/launcher/executor.cpp, default_executor.cpp),
// plus the causes only mesos-sidecar has (invalid TaskInfo, group health flag), and the
// container's memory limitation and launch failure.
import t from 'tap';
import { decideTerminalUpdate, takesGroupDown, type TaskOutcome, type TerminalUpdate } from '../../executor/terminal-update.js';
import type { KillCause } from '../../executor/kill-cause.js';
import type { ContainerLimitation } from '../../containerizer/memory-limitation.js';

const exited0 = { code: 0, signal: null };
const exited3 = { code: 3, signal: null };
const sigterm = { code: null, signal: 'SIGTERM' as const };
const sigkill = { code: null, signal: 9 };
const unknown = { code: null, signal: null };

const exit = (e: { code: number | null; signal: NodeJS.Signals | number | null }, killCause?: KillCause, groupUnhealthy = false): TaskOutcome => ({
  kind: 'exited',
  exit: e,
  killCause,
  groupUnhealthy,
});
const OOM: ContainerLimitation = {
  resources: [{ name: 'mem', type: 'SCALAR', scalar: { value: 47.9 }, role: '*' }],
  message: 'Memory limit exceeded: Requested: 48MB Maximum Used: 49049600B\n\nMEMORY STATISTICS: \ncache 0\n\n',
  reason: 'REASON_CONTAINER_LIMITATION_MEMORY',
};
const limited = (killCause: KillCause | undefined): TaskOutcome => ({ kind: 'exited', exit: sigkill, killCause, groupUnhealthy: false, limitation: OOM });
const health: KillCause = { kind: 'health', description: 'HTTP health check failed 3 of 3: status 503' };
const sibling = (siblingHealthKill: boolean): KillCause => ({ kind: 'group', siblingId: 'migrate', siblingHealthKill });

const rows: Array<[string, TaskOutcome, TerminalUpdate]> = [
  // not killed by us
  ['exit 0 → FINISHED', exit(exited0), { state: 'TASK_FINISHED', message: 'Command exited with status 0' }],
  ['exit 3 → FAILED', exit(exited3), { state: 'TASK_FAILED', message: 'Command exited with status 3' }],
  ['a signal we did not send → FAILED', exit(sigkill), { state: 'TASK_FAILED', message: 'Command terminated with signal Killed' }],
  ['no exit status → FAILED (default executor wording)', exit(unknown), { state: 'TASK_FAILED', message: 'Command terminated with unknown status' }],
  // killed by the scheduler or SHUTDOWN: KILLED whatever the status
  ['KILL, SIGTERM → KILLED', exit(sigterm, { kind: 'scheduler' }), { state: 'TASK_KILLED', message: 'Command terminated with signal Terminated' }],
  ['KILL, then exit 0 → still KILLED', exit(exited0, { kind: 'scheduler' }), { state: 'TASK_KILLED', message: 'Command exited with status 0' }],
  ['KILL, then exit 3 → still KILLED', exit(exited3, { kind: 'scheduler' }), { state: 'TASK_KILLED', message: 'Command exited with status 3' }],
  ['KILL, status unknown → KILLED (default executor on 404 while killing)', exit(unknown, { kind: 'scheduler' }), { state: 'TASK_KILLED', message: 'Command terminated with unknown status' }],
  ['SHUTDOWN, SIGKILL → KILLED', exit(sigkill, { kind: 'shutdown' }), { state: 'TASK_KILLED', message: 'Command terminated with signal Killed' }],
  // max_completion_time: FAILED with its reason, even after exit 0
  ['max_completion_time → FAILED + reason', exit(sigterm, { kind: 'max-completion' }), { state: 'TASK_FAILED', message: 'Command terminated with signal Terminated', reason: 'REASON_MAX_COMPLETION_TIME_REACHED' }],
  ['max_completion_time, exit 0 → FAILED + reason', exit(exited0, { kind: 'max-completion' }), { state: 'TASK_FAILED', message: 'Command exited with status 0', reason: 'REASON_MAX_COMPLETION_TIME_REACHED' }],
  // health-check kill: KILLED, healthy false, no reason (upstream TODO)
  [
    'health kill → KILLED, healthy false',
    exit(sigterm, health),
    { state: 'TASK_KILLED', message: 'Command terminated with signal Terminated (killed by health check: HTTP health check failed 3 of 3: status 503)', healthy: false },
  ],
  [
    'health kill, task exits 0 on SIGTERM → KILLED, healthy false',
    exit(exited0, health),
    { state: 'TASK_KILLED', message: 'Command exited with status 0 (killed by health check: HTTP health check failed 3 of 3: status 503)', healthy: false },
  ],
  // group policy
  ['sibling ended → KILLED', exit(sigterm, sibling(false)), { state: 'TASK_KILLED', message: "Command terminated with signal Terminated (killed because task 'migrate' of its group ended)" }],
  [
    'sibling killed by its health check → KILLED, healthy false',
    exit(sigterm, sibling(true)),
    { state: 'TASK_KILLED', message: "Command terminated with signal Terminated (killed because task 'migrate' of its group ended)", healthy: false },
  ],
  [
    'group already health-killed (cascade) → KILLED, healthy false',
    exit(sigterm, sibling(false), true),
    { state: 'TASK_KILLED', message: "Command terminated with signal Terminated (killed because task 'migrate' of its group ended)", healthy: false },
  ],
  ['the group flag does not mark a scheduler kill unhealthy', exit(sigterm, { kind: 'scheduler' }, true), { state: 'TASK_KILLED', message: 'Command terminated with signal Terminated' }],
  ['the group flag does not mark an exit unhealthy', exit(exited3, undefined, true), { state: 'TASK_FAILED', message: 'Command exited with status 3' }],
  // a TaskInfo we cannot carry on
  [
    'unencodable TaskInfo kill → FAILED + REASON_TASK_INVALID',
    exit(sigterm, { kind: 'invalid', message: 'TaskInfo cannot be encoded: bad enum' }),
    { state: 'TASK_FAILED', message: 'Command terminated with signal Terminated (TaskInfo cannot be encoded: bad enum)', reason: 'REASON_TASK_INVALID' },
  ],
  // the container was destroyed for its memory limit: the agent's state, reason and
  // limitation win over ours, its message follows the wait text (containers.md §3 step 3)
  ['memory limitation → FAILED + reason + limitation', limited(undefined), { state: 'TASK_FAILED', message: `Command terminated with signal Killed: ${OOM.message}`, reason: 'REASON_CONTAINER_LIMITATION_MEMORY', limitation: { resources: OOM.resources } }],
  ['memory limitation while a KILL was under way → still FAILED', limited({ kind: 'scheduler' }), { state: 'TASK_FAILED', message: `Command terminated with signal Killed: ${OOM.message}`, reason: 'REASON_CONTAINER_LIMITATION_MEMORY', limitation: { resources: OOM.resources } }],
  ['memory limitation of a group member being killed → FAILED', limited(sibling(false)), { state: 'TASK_FAILED', message: `Command terminated with signal Killed: ${OOM.message}`, reason: 'REASON_CONTAINER_LIMITATION_MEMORY', limitation: { resources: OOM.resources } }],
  // the init could not start the command: its words
  [
    "the init's exec failure → FAILED with its words",
    { kind: 'exited', exit: { code: 127, signal: null }, killCause: undefined, groupUnhealthy: false, launchFailure: "cannot execute '/sandbox/run.sh': Permission denied" },
    { state: 'TASK_FAILED', message: "Failed to launch container: cannot execute '/sandbox/run.sh': Permission denied" },
  ],
  // start failures
  [
    'launch failed → FAILED with the launch error',
    { kind: 'launch-failed', message: "Failed to execute 'nope': no such executable file on PATH", invalid: false },
    { state: 'TASK_FAILED', message: "Failed to execute 'nope': no such executable file on PATH" },
  ],
  [
    'launch refused the TaskInfo → FAILED + REASON_TASK_INVALID',
    { kind: 'launch-failed', message: 'Failed to launch task: unknown user nobody2', invalid: true },
    { state: 'TASK_FAILED', message: 'Failed to launch task: unknown user nobody2', reason: 'REASON_TASK_INVALID' },
  ],
];

t.test('terminal update: every row', async (t) => {
  for (const [name, outcome, expected] of rows) t.strictSame(decideTerminalUpdate(outcome), expected, name);
});

t.test('group policy: FAILED, KILLED and ERROR take the group down, FINISHED does not', async (t) => {
  const table: Array<[Parameters<typeof takesGroupDown>[0], boolean]> = [
    ['TASK_FAILED', true],
    ['TASK_KILLED', true],
    ['TASK_FINISHED', false],
    ['TASK_ERROR', true],
  ];
  for (const [state, expected] of table) t.equal(takesGroupDown(state), expected, state);
});
