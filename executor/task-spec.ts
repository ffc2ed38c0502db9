// The edge for tasks: a TaskInfo from LAUNCH or LAUNCH_GROUP becomes a typed TaskSpec here,
// once, and every refusal names the TaskInfo field at fault. Nothing after this reads the
// protobuf; the TaskInfo itself travels on only as an opaque value (SUBSCRIBE resends it).
// The checks engine parses the check definitions here too, and the spec carries them.
import { TaskInvalidError } from '../common/errors.js';
import { durationInfoToMs } from '../common/duration.js';
import type { ParsedTaskChecks, TaskCheckDefinitions } from '../contracts/checks.js';
import type { mesos, MessageContentType } from '../proto/codec.js';
import { emptyCheckStatus, taskNeedsChecks } from './check-updates.js';
import { killGracePeriodMs } from './kill-policy.js';
import { taskInfoEncodingError } from './subscribe-call.js';
import { allocationRole } from './task-environment.js';
import { ResourceInvalidError } from '../containerizer/errors.js';
import { parseResources, type ContainerResources } from '../containerizer/resources.js';

/** `CommandInfo.shell` true (the default) runs `/bin/sh -c script`; false runs `file` with `argv` as the full argv. */
export type TaskCommand = { kind: 'shell'; script: string } | { kind: 'argv'; file: string; argv: string[] };

/** What a task's checks became at the edge. */
export type TaskChecksSpec =
  | { kind: 'none' }
  /** Declared, but this executor has no checks engine: the task runs unchecked (and the log says so). */
  | { kind: 'unsupported' }
  | { kind: 'parsed'; definitions: TaskCheckDefinitions };

/** What every task has, valid or not: enough to report on it and to resend it. */
export interface TaskIdentity {
  readonly taskId: string;
  /** Opaque: for SUBSCRIBE's unacknowledged_tasks only. */
  readonly info: mesos.TaskInfo;
  /** Put into every update built from scratch when the task has a general check (checks.md §7). */
  readonly checkStatus: mesos.CheckStatusInfo | undefined;
}

export interface TaskSpec extends TaskIdentity {
  readonly command: TaskCommand;
  /** CommandInfo.environment, SECRET variables left out (an executor cannot resolve them). */
  readonly environment: ReadonlyArray<{ name: string; value: string }>;
  /** CommandInfo.user; undefined runs as the executor's user. */
  readonly user: string | undefined;
  /** ContainerInfo.tty_info: run under a PTY of this size. */
  readonly tty: { columns: number; rows: number } | undefined;
  /** TaskInfo.kill_policy's grace, else the 3 s default; a KILL may override it. */
  readonly killGraceMs: number;
  /** TaskInfo.max_completion_time when > 0. */
  readonly maxCompletionMs: number | undefined;
  /** Its health check, general check and readiness label, as the checks engine parsed them. */
  readonly checks: TaskChecksSpec;
  /** Role of the first resource's allocation_info (MESOS_ALLOCATION_ROLE). */
  readonly allocationRole: string | undefined;
  /** TaskInfo.resources and TaskInfo.limits: the limits of the task's container. */
  readonly resources: ContainerResources;
}

/** A TaskInfo we refuse before starting anything: the state to report and the field at fault. */
export class TaskSpecError extends TaskInvalidError {
  constructor(
    /** The TaskInfo field at fault, e.g. `TaskInfo.command.value`. */
    readonly field: string,
    /** TASK_FAILED where the built-in executors fail the task, TASK_ERROR where the master would refuse it. */
    readonly state: 'TASK_ERROR' | 'TASK_FAILED',
    message: string,
  ) {
    super(message);
  }
}

export interface TaskSpecOptions {
  /** The executor's encoding: a TaskInfo that cannot be encoded again cannot be resent. */
  contentType: MessageContentType;
  /** The checks engine's parser, when it is loaded. */
  parseChecks?: ((info: mesos.TaskInfo) => ParsedTaskChecks) | undefined;
}

export type ParsedTask = { ok: true; spec: TaskSpec } | { ok: false; identity: TaskIdentity; error: TaskSpecError };

/** A PTY's size is a uint16 pair (struct winsize). */
const MAX_TTY_DIMENSION = 0xffff;
const DEFAULT_TTY = { columns: 80, rows: 24 };

export function taskIdentity(info: mesos.TaskInfo): TaskIdentity {
  return { taskId: info.task_id.value, info, checkStatus: info.check ? emptyCheckStatus(info.check) : undefined };
}

export function parseTaskSpec(info: mesos.TaskInfo, options: TaskSpecOptions): ParsedTask {
  const identity = taskIdentity(info);
  try {
    return { ok: true, spec: { ...identity, ...parseFields(info, options) } };
  } catch (err) {
    if (err instanceof TaskSpecError) return { ok: false, identity, error: err };
    throw err;
  }
}

function parseFields(info: mesos.TaskInfo, options: TaskSpecOptions): Omit<TaskSpec, keyof TaskIdentity> {
  const unencodable = taskInfoEncodingError(info, options.contentType);
  if (unencodable) throw new TaskSpecError('TaskInfo', 'TASK_ERROR', `TaskInfo cannot be encoded again (needed to re-subscribe): ${unencodable.message}`);
  const command = parseCommand(info.command);
  const grace = info.kill_policy?.grace_period;
  if (grace && grace.nanoseconds < 0n) {
    throw new TaskSpecError('TaskInfo.kill_policy.grace_period', 'TASK_ERROR', `TaskInfo.kill_policy.grace_period must be >= 0, got ${grace.nanoseconds}ns`);
  }
  const maxCompletion = info.max_completion_time;
  if (maxCompletion && maxCompletion.nanoseconds < 0n) {
    throw new TaskSpecError('TaskInfo.max_completion_time', 'TASK_ERROR', `TaskInfo.max_completion_time must be >= 0, got ${maxCompletion.nanoseconds}ns`);
  }
  const resources = parseTaskResources(info);
  const checks = parseChecks(info, options.parseChecks);
  const maxCompletionMs = durationInfoToMs(maxCompletion);
  return {
    command,
    environment: (info.command?.environment?.variables ?? []).filter((v) => v.type !== 'SECRET').map((v) => ({ name: v.name, value: v.value ?? '' })),
    user: info.command?.user || undefined,
    tty: parseTty(info.container?.tty_info),
    killGraceMs: killGracePeriodMs(undefined, info.kill_policy),
    maxCompletionMs: maxCompletionMs !== undefined && maxCompletionMs > 0 ? maxCompletionMs : undefined,
    checks,
    allocationRole: allocationRole(info),
    resources,
  };
}

/** Resources that make no sense are TASK_ERROR, as the master's validation would refuse them. */
function parseTaskResources(info: mesos.TaskInfo): ContainerResources {
  try {
    return parseResources(info.resources, info.limits);
  } catch (err) {
    if (!(err instanceof ResourceInvalidError)) throw err;
    // parseResources names `cpus`, `resources[2].mem` or `limits.mem`.
    const field = `TaskInfo.${/^(resources\[|limits\.)/.test(err.field) ? err.field : `resources.${err.field}`}`;
    throw new TaskSpecError(field, 'TASK_ERROR', err.message.replace(`'${err.field}'`, `'${field}'`));
  }
}

function parseCommand(command: mesos.CommandInfo | undefined): TaskCommand {
  if (!command) throw new TaskSpecError('TaskInfo.command', 'TASK_FAILED', 'Task has no command: TaskInfo.command is not set');
  if (!command.value) throw new TaskSpecError('TaskInfo.command.value', 'TASK_FAILED', 'Task has no command: TaskInfo.command.value is not set');
  // `shell` has [default = true]: absent means the shell form.
  if (command.shell !== false) return { kind: 'shell', script: command.value };
  return { kind: 'argv', file: command.value, argv: command.arguments ?? [] };
}

function parseChecks(info: mesos.TaskInfo, parse: TaskSpecOptions['parseChecks']): TaskChecksSpec {
  if (!taskNeedsChecks(info)) return { kind: 'none' };
  if (!parse) return { kind: 'unsupported' };
  const parsed = parse(info);
  // A check the master would have refused: TASK_ERROR naming the field (TaskInfo.health_check.http.port, ...).
  if (!parsed.ok) throw new TaskSpecError(parsed.field, 'TASK_ERROR', parsed.message);
  return { kind: 'parsed', definitions: parsed.definitions };
}

function parseTty(tty: mesos.TTYInfo | undefined): TaskSpec['tty'] {
  if (!tty) return undefined;
  const size = { columns: tty.window_size?.columns ?? DEFAULT_TTY.columns, rows: tty.window_size?.rows ?? DEFAULT_TTY.rows };
  for (const key of ['columns', 'rows'] as const) {
    const value = size[key];
    if (value < 1 || value > MAX_TTY_DIMENSION) {
      const field = `TaskInfo.container.tty_info.window_size.${key}`;
      throw new TaskSpecError(field, 'TASK_ERROR', `${field} must be between 1 and ${MAX_TTY_DIMENSION}, got ${value}`);
    }
  }
  return size;
}

/** The CommandInfo the ProcessLauncher seam takes, rebuilt from the parsed command. */
export function commandInfoOf(command: TaskCommand): mesos.CommandInfo {
  return command.kind === 'shell' ? { shell: true, value: command.script } : { shell: false, value: command.file, arguments: command.argv };
}
