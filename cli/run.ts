// `mesos-sidecar run FILE.json`: the embedded local agent. Starts the agent emulator on
// loopback, spawns the real executor with the environment a Mesos agent gives it, launches
// the task(s) from FILE, acknowledges every update and prints it as one line. Ctrl-C kills
// the live tasks through their kill policy and waits for their terminal updates; further
// Ctrl-Cs escalate (SHUTDOWN, then SIGTERM, then SIGKILL to the executor).
//
// Exit status: 0 when every task FINISHED (or was killed because the user asked), 1 when
// any task ended otherwise or the executor died first, 2 for a bad command line or FILE.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AgentEmulator, type ExecutorProcess, type ReceivedUpdate } from '../agent/emulator.js';
import { chooseLogFormat, createLogger, LOG_FORMAT_ENV, prettyFormatter, type Logger } from '../common/logger.js';
import { signalGroup } from '../common/process.js';
import { systemClock } from '../common/clock.js';
import { taskSandbox } from '../executor/task-environment.js';
import { LineSplitter, TaskOutput } from './task-output.js';
import type { mesos } from '../proto/codec.js';
import { formatStatusLine } from './status-line.js';
import { isTerminalState } from '../proto/task-state.js';
import { TaskBoard } from './task-board.js';
import { loadTaskFile, TaskFileError, type TaskFile } from './task-file.js';
import { SWITCHBOARD_URL_LABEL } from '../contracts/switchboard.js';
import { ISOLATION_LABEL } from '../contracts/task-view.js';
import { execHint, shellQuote } from '../switchboard/index.js';
import { taskPageUrl } from '../switchboard/ui-files.js';

const USAGE = `usage: mesos-sidecar run FILE.json [--encoding json|protobuf] [--keep-sandbox] [--quiet]

Runs the TaskInfo or TaskGroupInfo (Mesos JSON; a group is recognised by its "tasks" key)
in FILE with the mesos-sidecar executor under an embedded local agent, and prints every
status update and, prefixed with the task's name, every line the tasks write to their
stdout and stderr. task_id and agent_id may be left out of FILE: they are filled in.

  --encoding json|protobuf   content type the executor speaks to the agent (default protobuf,
                             as the Mesos executor library does)
  --keep-sandbox             keep the sandboxes (task stdout/stderr files) after exit and
                             print each task's own directory
  -q, --quiet                status updates only, not the tasks' output
  -h, --help                 this text

Ctrl-C kills the tasks (KILL, through each task's kill policy) and waits for their
terminal updates; press it again to shut the executor down, again to stop it at once.
Logs go to stderr, one readable line each on a terminal and JSON otherwise (the executor's
own format); MESOS_SIDECAR_LOG_FORMAT=json|pretty chooses, MESOS_SIDECAR_LOG_LEVEL sets the
level (default "warn" for this command).`;


/** When a task's status carries its switchboard URL, `run` tells the user how to exec into it. */
export const SWITCHBOARD_URL_LABELS: ReadonlySet<string> = new Set([SWITCHBOARD_URL_LABEL]);
/** Labels every update of a task carries: said once (the URL in the exec hint), not on every line. */
const HIDDEN_LABELS: ReadonlySet<string> = new Set([...SWITCHBOARD_URL_LABELS, ISOLATION_LABEL]);

/** How long a task must stay TASK_RUNNING before `run` tells the user how to exec into it. */
const EXEC_HINT_SETTLE_MS = 300;

/** Upper bound for the executor to exit once every task is terminal and acknowledged. */
const EXECUTOR_EXIT_BOUND_MS = 15_000;

type Encoding = 'json' | 'protobuf';

interface RunOptions {
  file: string;
  encoding: Encoding;
  keepSandbox: boolean;
  quiet: boolean;
}

function parseRunArgs(argv: string[]): RunOptions | { help: true } | { error: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { encoding: { type: 'string' }, 'keep-sandbox': { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    return { error: (err as Error).message };
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  const encoding = values.encoding ?? 'protobuf';
  if (encoding !== 'json' && encoding !== 'protobuf') return { error: `--encoding: expected json or protobuf, got "${encoding}"` };
  if (positionals.length !== 1) return { error: positionals.length === 0 ? 'missing FILE.json' : `expected one FILE.json, got ${positionals.length} arguments` };
  return { file: positionals[0]!, encoding, keepSandbox: values['keep-sandbox'] ?? false, quiet: values.quiet ?? false };
}

let stdoutClosed = false;

function out(line: string): void {
  if (!stdoutClosed) process.stdout.write(`${line}\n`);
}

// `run … | head` closes our stdout early: stop printing, but keep supervising the tasks
// (an unhandled EPIPE would crash the CLI and leave the executor to the emulator's exit hook).
function watchStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    stdoutClosed = true;
  });
}

function note(line: string): void {
  out(`==> ${line}`);
}

/**
 * How the user should type this CLI: `mesos-sidecar` when that is on PATH and is us,
 * else the path of bin/mesos-sidecar (relative when under the current directory).
 */
export function cliCommand(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const ours = fileURLToPath(new URL('../../bin/mesos-sidecar', import.meta.url));
  let real: string;
  try {
    real = realpathSync(ours);
  } catch {
    return 'mesos-sidecar';
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      if (realpathSync(join(dir, 'mesos-sidecar')) === real) return 'mesos-sidecar';
    } catch {
      // not in this PATH entry
    }
  }
  const rel = relative(cwd, ours);
  return rel.startsWith('..') || isAbsolute(rel) ? ours : `./${rel}`;
}

function switchboardUrl(status: mesos.TaskStatus): string | undefined {
  return status.labels?.labels?.find((l) => SWITCHBOARD_URL_LABELS.has(l.key))?.value;
}

interface UpdateContext {
  board: TaskBoard;
  taskWidth: number;
  tokenFile: string;
  output: TaskOutput | undefined;
  /** The task page is the executor's, not a task's: its address is printed once. */
  taskPage: { shown: boolean };
}

function onUpdate({ board, taskWidth, tokenFile, output, taskPage }: UpdateContext, update: ReceivedUpdate): void {
  const { status } = update;
  const id = status.task_id.value;
  // The task's last words come before the line that says it ended.
  if (!update.duplicate && isTerminalState(status.state)) output?.finish(id);
  out(formatStatusLine(status, { duplicate: update.duplicate, taskWidth, hiddenLabels: HIDDEN_LABELS }));
  if (update.duplicate) return;
  board.record(status);
  const url = switchboardUrl(status);
  if (!url || status.state !== 'TASK_RUNNING') return;
  // A moment's wait, so that a task which ends right away (hello.json) gets no hint for a
  // shell it no longer has; the board decides again when the moment is over.
  systemClock.setTimeout(() => {
    if (!board.takeExecHint(id)) return;
    const cli = cliCommand();
    note(`exec into it: ${execHint(url, id, tokenFile, cli)}`);
    const page = taskPageUrl(url);
    if (page && !taskPage.shown) {
      taskPage.shown = true;
      note(`open the task page: ${page} (token in ${tokenFile})`);
    }
    if (board.hasTty(id)) note(`attach to its terminal: ${[cli, 'attach', '--url', url, '--token-file', tokenFile, id].map(shellQuote).join(' ')}`);
  }, EXEC_HINT_SETTLE_MS);
}

/** The sandbox the executor gives each task; none for an id it will refuse (TASK_ERROR). */
function taskSandboxes(emulator: AgentEmulator, tasks: mesos.TaskInfo[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of tasks) {
    try {
      out.set(t.task_id.value, taskSandbox(emulator.sandbox, t.task_id.value));
    } catch {
      // The executor answers such a task with TASK_ERROR naming the problem.
    }
  }
  return out;
}

function prettifyExecutorLog(exec: ExecutorProcess): void {
  const format = prettyFormatter({ colorize: process.stderr.isTTY === true && !process.env.NO_COLOR });
  const lines = new LineSplitter();
  const write = (line: string): void => void process.stderr.write(line.startsWith('{') ? format(line) : `${line}\n`);
  exec.child.stderr?.on('data', (chunk: string | Buffer) => lines.push(Buffer.from(chunk)).forEach(write));
  exec.child.stderr?.on('end', () => lines.end().forEach(write));
}

function describeExit(e: { code: number | null; signal: NodeJS.Signals | null }): string {
  return e.signal ? `was killed by ${e.signal}` : `exited with status ${e.code}`;
}

async function runTasks(options: RunOptions, taskFile: TaskFile, emulator: AgentEmulator, logger: Logger, level: string, runDir: string, sandboxNote: string): Promise<number> {
  const board = new TaskBoard(taskFile.tasks);
  const taskWidth = Math.max(...board.ids.map((id) => id.length));
  // The executor serves exec/attach only with credentials configured: a token file in the
  // run's own directory, created with a random token by the switchboard.
  const tokenFile = join(runDir, 'switchboard.token');
  const sandboxes = taskSandboxes(emulator, taskFile.tasks);
  const output = options.quiet
    ? undefined
    : new TaskOutput(
        taskFile.tasks.filter((t) => sandboxes.has(t.task_id.value)).map((t) => ({ taskId: t.task_id.value, label: t.name || t.task_id.value, sandbox: sandboxes.get(t.task_id.value)! })),
        { print: out, clock: systemClock, color: process.stdout.isTTY === true && !process.env.NO_COLOR },
      );
  const taskPage = { shown: false };
  emulator.on('update', (u: ReceivedUpdate) => onUpdate({ board, taskWidth, tokenFile, output, taskPage }, u));

  // The executor always logs JSON (its format, under a real agent too); for a person at a
  // terminal its lines go through the same formatter as ours.
  const pretty = chooseLogFormat(process.env, true, process.stderr.isTTY === true).format === 'pretty';
  const exec: ExecutorProcess = emulator.spawnExecutor({
    encoding: options.encoding,
    env: { MESOS_SIDECAR_LOG_LEVEL: level, [LOG_FORMAT_ENV]: 'json', MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE: tokenFile },
    stdio: pretty ? 'pipe' : 'inherit',
  });
  if (pretty) prettifyExecutorLog(exec);
  note(`executor pid ${exec.pid} (${options.encoding}), agent ${emulator.endpoint}, ${sandboxNote}`);
  let executorGone: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = exec.exited.then((e) => (executorGone = e));

  let interrupts = 0;
  let launched = false;
  let onEarlyInterrupt!: () => void;
  const earlyInterrupt = new Promise<'interrupted'>((resolve) => (onEarlyInterrupt = () => resolve('interrupted')));
  let userKilled = false;
  // Escalation, one step per Ctrl-C: KILL each task (its kill policy applies), then
  // SHUTDOWN, then SIGTERM to the executor (it SIGKILLs its tasks' groups and leaves), and
  // only then SIGKILL to the executor's group. Tasks have groups of their own, so that last
  // step alone would leave them running.
  const onInterrupt = (signal: NodeJS.Signals): void => {
    interrupts += 1;
    if (!launched) {
      note(`${signal}: stopping before anything was launched`);
      onEarlyInterrupt();
      return;
    }
    if (interrupts === 1) {
      userKilled = true;
      const live = board.live();
      note(`${signal}: killing ${live.length} live task(s); press Ctrl-C again to shut the executor down`);
      for (const id of live) emulator.kill(id);
    } else if (interrupts === 2) {
      note(`${signal}: shutting the executor down; press Ctrl-C again to stop it at once`);
      emulator.shutdown();
    } else if (interrupts === 3) {
      note(`${signal}: SIGTERM to the executor (pid ${exec.pid}): it kills its tasks and exits`);
      signalGroup(exec.pid, 'SIGTERM');
    } else {
      note(`${signal}: SIGKILL to the executor's process group`);
      signalGroup(exec.pid, 'SIGKILL');
    }
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    const start = await Promise.race([emulator.waitForSubscribed().then(() => 'subscribed' as const), exited.then(() => 'exited' as const), earlyInterrupt]);
    if (start === 'exited') {
      note(`the executor ${describeExit(executorGone!)} before subscribing (set MESOS_SIDECAR_LOG_LEVEL=info for its logs)`);
      return 1;
    }
    // Interrupted while the executor was starting: nothing to kill; close() stops it.
    if (start === 'interrupted') return 130;
    logger.info({ pid: exec.pid }, 'executor subscribed');
    if (taskFile.kind === 'task') emulator.launch(taskFile.task);
    else emulator.launchGroup(taskFile.group);
    launched = true;
    note(`launched ${board.ids.join(', ')}; Ctrl-C kills ${board.ids.length > 1 ? 'them' : 'it'}`);
    output?.start();

    const ended = await Promise.race([board.allTerminal.then(() => 'tasks' as const), exited.then(() => 'executor' as const)]);
    if (ended === 'executor') {
      output?.stop();
      note(`the executor ${describeExit(executorGone!)} while tasks were live: ${board.summary()}`);
      return 1;
    }
    // The executor leaves on its own once its terminal updates are acknowledged.
    let bound: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((resolve) => (bound = setTimeout(() => resolve(true), EXECUTOR_EXIT_BOUND_MS)))]);
    clearTimeout(bound);
    if (timedOut) {
      // AgentEmulator.close() ends it (SIGTERM, then SIGKILL to its group).
      note(`the executor did not exit within ${EXECUTOR_EXIT_BOUND_MS / 1000}s of its last task; stopping it`);
      return 1;
    }
    if (executorGone!.code !== 0) note(`the executor ${describeExit(executorGone!)}`);
    return board.exitCode(userKilled) || (executorGone!.code === 0 ? 0 : 1);
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    output?.stop();
    if (options.keepSandbox) for (const [id, dir] of sandboxes) note(`kept the sandbox of ${id}: ${dir}`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseRunArgs(argv);
  if ('help' in parsed) {
    out(USAGE);
    return 0;
  }
  if ('error' in parsed) {
    process.stderr.write(`mesos-sidecar run: ${parsed.error}\n${USAGE}\n`);
    return 2;
  }
  watchStdout();
  const level = process.env.MESOS_SIDECAR_LOG_LEVEL ?? 'warn';
  const logger = createLogger({ name: 'mesos-sidecar-run', level, forPeople: true });
  const agentId = 'local-agent';

  let taskFile: TaskFile;
  try {
    taskFile = loadTaskFile(parsed.file, agentId);
  } catch (err) {
    if (err instanceof TaskFileError) {
      process.stderr.write(`mesos-sidecar run: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  for (const w of taskFile.warnings) process.stderr.write(`mesos-sidecar run: ${parsed.file}: ignoring ${w} (unknown field)\n`);

  const sandboxRoot = mkdtempSync(join(tmpdir(), 'mesos-sidecar-run-'));
  let emulator: AgentEmulator | undefined;
  try {
    emulator = await AgentEmulator.start({
      logger: logger.child({ component: 'agent' }),
      agentId,
      autoAcknowledge: true,
      sandboxRoot,
    });
    const sandboxNote = `sandbox ${sandboxRoot}${parsed.keepSandbox ? '' : ' (removed on exit; --keep-sandbox keeps it)'}`;
    return await runTasks(parsed, taskFile, emulator, logger, level, sandboxRoot, sandboxNote);
  } finally {
    await emulator?.close();
    if (!parsed.keepSandbox) rmSync(sandboxRoot, { recursive: true, force: true });
  }
}
