// `mesos-sidecar logs [-f] [--stderr] [--tail N] TASK`: a task's stdout (or stderr) from
// its sandbox through the switchboard's /files/read, polled as upstream `mesos-tail`
// does: bounded reads, the offset advanced by the data received, a pause on empty data.
import { systemClock, type Clock } from '../common/clock.js';
import { readFile, type FileChunk } from '../switchboard/files/client.js';
import { READ_LIMIT } from '../switchboard/files/endpoints.js';
import { clientFrom, CONNECTION_HELP, parseCommand, reportFailure, usageFailure, resolveTask, UsageError } from './attach-target.js';

export const USAGE = `usage: mesos-sidecar logs [-f] [--stderr] [--tail N] [connection options] TASK

Prints the stdout of TASK (a task id or its container id) from its sandbox.

  -f, --follow       keep printing what the task writes, until it has ended and its
                     file is drained (then exit 0), or Ctrl-C
  --stderr           the task's stderr instead of its stdout
  --tail N           start with the last N lines instead of the whole file
${CONNECTION_HELP}`;

/** What the follower needs from the agent: bounded reads of one file and the task's end. */
export interface LogSource {
  /** /files/read at `offset` (undefined: only the size, in `offset`), at most `length` bytes. */
  read(offset: number | undefined, length: number): Promise<FileChunk>;
  /** True once the task is terminal (or no longer listed). */
  terminated(): Promise<boolean>;
}

export interface FollowOptions {
  follow: boolean;
  tail?: number;
  write(data: Buffer): Promise<void>;
  sleep(ms: number): Promise<void>;
  /** Bytes per read; the agent caps it at 16 pages anyway. */
  chunkBytes?: number;
}

/** Pause after an empty read, doubled while nothing comes, reset by data (mesos-tail: 0.5 s flat). */
export const IDLE_BACKOFF = { initialMs: 100, maxMs: 1000 } as const;

const NEWLINE = 0x0a;

/**
 * Where the last `lines` lines of a `size`-byte file begin, read backwards one chunk at a
 * time (never more than one chunk in memory). A newline that ends the file ends the last
 * line; it does not start an empty one.
 */
export async function tailOffset(source: LogSource, size: number, lines: number, chunkBytes = READ_LIMIT): Promise<number> {
  if (lines === 0) return size;
  let end = size;
  let seen = 0;
  while (end > 0) {
    const start = Math.max(0, end - chunkBytes);
    const { data } = await source.read(start, end - start);
    if (data.length === 0) break;
    for (let i = Math.min(data.length, end - start) - 1; i >= 0; i--) {
      if (data[i] !== NEWLINE || start + i === size - 1) continue;
      if (++seen === lines) return start + i + 1;
    }
    end = start;
  }
  return 0;
}

/** Prints the file from its start (or its last `tail` lines) and, with `follow`, what follows. */
export async function streamLog(source: LogSource, options: FollowOptions): Promise<void> {
  const chunkBytes = options.chunkBytes ?? READ_LIMIT;
  let offset = 0;
  if (options.tail !== undefined) {
    const { offset: size } = await source.read(undefined, 0);
    offset = await tailOffset(source, size, options.tail, chunkBytes);
  }
  let idleMs: number = IDLE_BACKOFF.initialMs;
  // Set once the task is terminal: from then on the first empty read means drained.
  let ended = false;
  for (;;) {
    const { data } = await source.read(offset, chunkBytes);
    if (data.length > 0) {
      await options.write(data);
      offset += data.length;
      idleMs = IDLE_BACKOFF.initialMs;
      continue;
    }
    if (!options.follow || ended) return;
    // Read again at once after the task ended: it may have written just before.
    if ((ended = await source.terminated())) continue;
    await options.sleep(idleMs);
    idleMs = Math.min(idleMs * 2, IDLE_BACKOFF.maxMs);
  }
}

function parseTail(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`--tail expects a number of lines, got '${text}'`);
  return Number(text);
}

function stdoutWriter(): (data: Buffer) => Promise<void> {
  // A reader that went away (`logs -f web | head`) ends us quietly, as it ends `tail`.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') process.stderr.write(`mesos-sidecar logs: cannot write to stdout: ${err.message}\n`);
    process.exit(err.code === 'EPIPE' ? 0 : 1);
  });
  return (data) => new Promise((resolve) => (process.stdout.write(data) ? resolve() : process.stdout.once('drain', resolve)));
}

export async function main(argv: string[], clock: Clock = systemClock): Promise<number> {
  const parsed = parseCommand('logs', USAGE, argv, { follow: { type: 'boolean', short: 'f' }, stderr: { type: 'boolean' }, tail: { type: 'string' } });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) return usageFailure('logs', USAGE, 'expected exactly one TASK');
  try {
    const tail = parseTail(values.tail);
    const client = clientFrom(values);
    const task = await resolveTask(client, positionals[0]!);
    if (!task.sandboxPath) throw new Error(`the switchboard does not serve the sandbox of '${task.taskId}' (no /files API)`);
    const file = `${task.sandboxPath}/${values.stderr ? 'stderr' : 'stdout'}`;
    const source: LogSource = {
      read: (offset, length) => readFile(client, file, offset, length),
      terminated: async () => {
        const listed = (await client.tasks()).tasks.find((t) => t.task_id === task.taskId);
        return listed === undefined || listed.terminated;
      },
    };
    await streamLog(source, {
      follow: values.follow === true,
      ...(tail !== undefined ? { tail } : {}),
      write: stdoutWriter(),
      sleep: (ms) => new Promise((resolve) => clock.setTimeout(resolve, ms)),
    });
    return 0;
  } catch (err) {
    return reportFailure('logs', err);
  }
}
