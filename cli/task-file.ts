// Reads the FILE.json of `mesos-sidecar run`: one TaskInfo, or a TaskGroupInfo (recognised
// by its `tasks` key), in Mesos JSON. A scheduler fills `task_id` and `agent_id`; a person
// writing an example should not have to, so both are filled in when absent:
//   task_id  = "<name>.<8 hex digits>"  (Marathon-like, unique per run)
//   agent_id = the embedded agent's id
// Everything else goes through the same codec the wire uses, so a file that loads here is
// exactly what a Mesos master would hand the executor.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { isSafeNumber, parse as parseLossless } from 'lossless-json';
import { codecs, type mesos } from '../proto/codec.js';
import { SidecarError } from '../common/errors.js';
import { inspectJson } from './strict-json.js';

/** FILE.json cannot be used: unreadable, not JSON, or not a valid TaskInfo/TaskGroupInfo. */
export class TaskFileError extends SidecarError {
  readonly code = 'E_TASK_FILE';
  constructor(
    readonly file: string,
    /** The offending field as a path, e.g. "TaskInfo.command.shell", when there is one. */
    readonly field: string | undefined,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** `warnings`: paths of unknown fields ("TaskInfo.comand"), which Mesos would ignore. */
export type TaskFile =
  | { kind: 'task'; task: mesos.TaskInfo; tasks: mesos.TaskInfo[]; warnings: string[] }
  | { kind: 'group'; group: mesos.TaskGroupInfo; tasks: mesos.TaskInfo[]; warnings: string[] };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// JSON.parse gives the better error message (with a position); integers beyond 2^53
// (int64 nanoseconds, say) are then reparsed without loss, as the codec itself does.
function parseJson(file: string, text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TaskFileError(file, undefined, `not valid JSON: ${(err as Error).message}`);
  }
  if (!/\d{16,}/.test(text)) return value;
  return parseLossless(text, null, (raw: string) => (isSafeNumber(raw) ? Number(raw) : { isLosslessNumber: true, value: raw }));
}

function taskIdFor(task: Json): string {
  const name = typeof task.name === 'string' && task.name !== '' ? task.name.replace(/[^A-Za-z0-9_.-]+/g, '-') : 'task';
  return `${name}.${randomUUID().slice(0, 8)}`;
}

// Mutates the parsed JSON (our own copy) before decoding, so that "required field is
// missing" only ever refers to fields the person really has to write.
function fillTask(task: Json, agentId: string): void {
  if (task.task_id === undefined || task.task_id === null) task.task_id = { value: taskIdFor(task) };
  if (task.agent_id === undefined || task.agent_id === null) task.agent_id = { value: agentId };
}

// Unknown enum names stop the load (naming field and value); unknown fields are only
// reported: Mesos ignores them, and a person who typed "comand" deserves to hear about it.
function inspect(file: string, fullName: string, json: Json, prefix: string, warnings: string[]): void {
  const found = inspectJson(fullName, json, prefix);
  if (found.badEnum) throw new TaskFileError(file, found.badEnum.path, found.badEnum.message);
  warnings.push(...found.unknownFields);
}

function fieldOf(message: string): string | undefined {
  const m = /^([A-Za-z_][\w.[\]]*):/.exec(message);
  return m?.[1];
}

function decodeWith<T>(file: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    const message = (err as Error).message;
    throw new TaskFileError(file, fieldOf(message), message);
  }
}

function checkTaskIds(file: string, tasks: mesos.TaskInfo[], prefix: string): void {
  const seen = new Map<string, number>();
  tasks.forEach((task, i) => {
    const where = tasks.length > 1 || prefix ? `${prefix}tasks[${i}].task_id.value` : 'TaskInfo.task_id.value';
    if (task.task_id.value === '') throw new TaskFileError(file, where, `${where}: must not be empty`);
    const before = seen.get(task.task_id.value);
    if (before !== undefined) throw new TaskFileError(file, where, `${where}: "${task.task_id.value}" is already used by tasks[${before}]`);
    seen.set(task.task_id.value, i);
  });
}

/** Parses FILE's text; `file` is only used in messages. */
export function parseTaskFile(file: string, text: string, agentId: string): TaskFile {
  const json = parseJson(file, text);
  if (!isObject(json)) throw new TaskFileError(file, undefined, 'expected a JSON object holding a TaskInfo or a TaskGroupInfo');
  const warnings: string[] = [];
  if ('tasks' in json) {
    const tasks = json.tasks;
    if (!Array.isArray(tasks) || tasks.length === 0) throw new TaskFileError(file, 'TaskGroupInfo.tasks', 'TaskGroupInfo.tasks: expected a non-empty array of TaskInfo');
    tasks.forEach((task, i) => {
      if (!isObject(task)) throw new TaskFileError(file, `TaskGroupInfo.tasks[${i}]`, `TaskGroupInfo.tasks[${i}]: expected a TaskInfo object`);
      fillTask(task, agentId);
    });
    inspect(file, codecs.mesos.TaskGroupInfo.name, json, 'TaskGroupInfo', warnings);
    const group = decodeWith(file, () => codecs.mesos.TaskGroupInfo.fromJsonValue(json));
    const decoded = group.tasks ?? [];
    checkTaskIds(file, decoded, 'TaskGroupInfo.');
    return { kind: 'group', group, tasks: decoded, warnings };
  }
  fillTask(json, agentId);
  inspect(file, codecs.mesos.TaskInfo.name, json, 'TaskInfo', warnings);
  const task = decodeWith(file, () => codecs.mesos.TaskInfo.fromJsonValue(json));
  checkTaskIds(file, [task], '');
  return { kind: 'task', task, tasks: [task], warnings };
}

export function loadTaskFile(file: string, agentId: string): TaskFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TaskFileError(file, undefined, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseTaskFile(file, text, agentId);
}
