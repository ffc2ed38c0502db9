// Each throughput round's reader in a process of its own, as `exec` is: the benchmark's
// process has run other suites before this one (the checks suite's thousands of probes),
// and a reader that allocates a buffer per read pays for every collection of that larger
// heap (in one range run the direct pipe read there at 625-864 MiB/s, in a fresh process
// at 1100-1700). Prints {bytes, seconds, cpuSeconds[, exitStatus]} as JSON on stdout.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { outputPipes } from '../../process/os-pipe.js';
import { readPipe } from '../../process/pipe-reader.js';
import { SwitchboardClient } from '../../switchboard/client.js';
import { openSession, sessionCall } from './agent-session.js';
import { cpuTimes, idleShare } from '../stats.js';

const SELF = fileURLToPath(import.meta.url);

export type ReaderKind =
  /**
   * The command's output through a pipe (pipe(2), as a shell's `|`) read as a plain Node
   * program reads a stream (a fresh buffer per read): the judged baseline.
   */
  | 'direct'
  /** The command spawned with child_process' 'pipe' (a socketpair) and read the same way: reported. */
  | 'direct-socketpair'
  /** The pipe read into reused buffers, as the switchboard reads its sessions: reported. */
  | 'direct-reused'
  /** relay-floor.c's connection read as the direct pipe is (bytes include its chunk framing): reported. */
  | 'relay-floor'
  /** The command as a non-TTY session, its records read as `exec` reads them (leasedRecords). */
  | 'session';

export interface ReaderFigures {
  bytes: number;
  seconds: number;
  /** The reader process's user + system CPU while it read. */
  cpuSeconds: number;
  /** The share of the whole machine's CPU time that went unused while it read (undefined: no /proc/stat). */
  machineIdleShare?: number | undefined;
  exitStatus?: number | undefined;
}

export async function readInProcess(kind: ReaderKind, bytes: number, session?: { url: string; token: string }): Promise<ReaderFigures> {
  const args = [SELF, kind, String(bytes), ...(session ? [session.url] : [])];
  const child = spawn(process.execPath, args, { env: { ...process.env, BENCH_SWITCHBOARD_TOKEN: session?.token ?? '' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => chunks.push(c));
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code !== 0) throw new Error(`throughput reader (${kind}) exited with ${signal ?? `code ${code}`}`);
  return JSON.parse(Buffer.concat(chunks).toString()) as ReaderFigures;
}

async function read(kind: ReaderKind, size: number, url: string | undefined): Promise<ReaderFigures> {
  const cpu = process.cpuUsage();
  const machine = cpuTimes();
  const start = process.hrtime.bigint();
  let bytes = 0;
  let exitStatus: number | undefined;
  if (kind === 'session') {
    const client = new SwitchboardClient({ url: url!, token: process.env.BENCH_SWITCHBOARD_TOKEN! });
    const { call, id } = sessionCall(`head -c ${size} /dev/zero`, false);
    const s = await openSession(client, call);
    for await (const { io } of s.leasedRecords) if (io.type === 'DATA') bytes += io.data!.data!.length;
    exitStatus = await client.wait(id);
  } else if (kind === 'relay-floor') {
    const u = new URL(url!);
    const socket = connect(Number(u.port), u.hostname);
    for await (const chunk of socket) bytes += (chunk as Buffer).length;
  } else {
    const command = ['head', ['-c', String(size), '/dev/zero']] as const;
    if (kind === 'direct-socketpair') {
      const child = spawn(...command, { stdio: ['ignore', 'pipe', 'inherit'] });
      for await (const chunk of child.stdout!) bytes += (chunk as Buffer).length;
    } else {
      const pipes = outputPipes();
      if (!pipes) throw new Error('build/Release/pipe.node is missing: run make install');
      try {
        spawn(...command, { stdio: ['ignore', pipes.stdout.writeFd, 'inherit'] });
      } finally {
        pipes.closeWriteEnds();
      }
      pipes.stderr.reader.destroy();
      if (kind === 'direct') for await (const chunk of pipes.stdout.reader) bytes += (chunk as Buffer).length;
      else await readPipe(pipes.stdout.reader, { onData: (chunk) => void (bytes += chunk.length) }).closed;
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const idle = idleShare(machine);
  return { bytes, seconds, cpuSeconds: (used.user + used.system) / 1e6, ...(idle !== undefined ? { machineIdleShare: idle } : {}), ...(kind === 'session' ? { exitStatus } : {}) };
}

if (process.argv[1] === SELF) {
  const [kind, size, url] = process.argv.slice(2) as [ReaderKind, string, string | undefined];
  process.stdout.write(JSON.stringify(await read(kind, Number(size), url)));
}
