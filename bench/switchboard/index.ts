// Switchboard benchmark, all in one run: exec output throughput (non-TTY) against the
// same command piped directly; keystroke round trip in a TTY session against a local PTY;
// switchboard memory per idle session with 100 concurrent sessions; exec session start
// with and without joining a task container's namespaces against a direct spawn.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as pty from 'node-pty';
import { RelayFloor } from './relay-floor.js';
import { readInProcess, type ReaderFigures } from './throughput-reader.js';
import { stdinRecord, SwitchboardClient, type OutputStreamHandle } from '../../switchboard/client.js';
import { summarize, type LatencySummary } from '../stats.js';
import { KEYSTROKES, keystrokeLatency, type OpenKeystrokeSession } from './keystrokes.js';
import { agentApiSession, openSession, sessionCall } from './agent-session.js';
import { wsKeystroke } from './ws-keystroke.js';
import { sessionStart } from './session-start.js';
import { cliKeystrokes } from './keystroke-client.js';

const THROUGHPUT_BYTES = 1024 ** 3;
/** "In every one of 5 runs": each round is judged on its own, the range reported. */
export const ROUNDS = 5;
/**
 * TTY sessions the switchboard serves before the judged rounds (reported, not judged): until
 * one in which its V8 helper threads (TurboFan, concurrent GC) used less than
 * SETTLED_HELPER_CPU_MS, i.e. V8 has done compiling the input and PTY path, and at most
 * MAX_FIRST_SESSIONS. A fresh switchboard's helpers spent 190, 130, 90, 60, 10, 10 ms in
 * its first six sessions, and the keystroke p99 followed them (3.6, 2.5, 1.9, 1.7, 0.8,
 * 0.8 ms): a compile on one of two cores holds the next wake-up of the relay.
 */
const SETTLED_HELPER_CPU_MS = 20;
const MAX_FIRST_SESSIONS = 10;
const IDLE_SESSIONS = 100;
/** Targets (issue 11), each to be met by every round. */
export const TARGETS = { throughputRatioToDirect: 0.6, keystrokeP99Ms: 1.5 } as const;

interface Server {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Whether the server's second task runs in its own container. */
  isolated: { isolation: string } | { unavailable: string };
  /** V8's helper threads (common/v8-helpers.ts), empty if they could not be told apart. */
  v8HelperTids: number[];
}

export async function startServer(token: string, socketPath?: string): Promise<Server> {
  const env = { ...process.env, BENCH_SWITCHBOARD_TOKEN: token, ...(socketPath ? { BENCH_SWITCHBOARD_SOCKET: socketPath } : {}) };
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []), fileURLToPath(new URL('./server.js', import.meta.url))], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const { url, pid, isolated, v8HelperTids } = JSON.parse(line) as Omit<Server, 'child'>;
  return { url, pid, isolated, v8HelperTids, child };
}

/** CPU time (ms) the server's V8 helper threads have used so far (schedstat: nanoseconds). */
function helperCpuMs(server: Server): number {
  let ns = 0;
  for (const tid of server.v8HelperTids) ns += Number(readFileSync(`/proc/${server.pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  return ns / 1e6;
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface FirstSessions<T> {
  sessions: (T & { serverV8HelperCpuMs: number })[];
  /** False: the cap was reached with V8 still compiling. */
  compiled: boolean;
}

/**
 * A server's first sessions, one `session()` after another, until one in which its V8
 * helpers used < SETTLED_HELPER_CPU_MS (at most MAX_FIRST_SESSIONS), each with what they
 * used: the rounds after them judge a server in the state that serves people for days.
 * Both the TTY path and the output path compile over the first two or three sessions
 * (output: helpers 121-157, 66-109, 24-45 ms, then 8-30).
 */
async function firstSessionsOf<T extends object>(server: Server, session: () => Promise<T>): Promise<FirstSessions<T>> {
  const sessions: FirstSessions<T>['sessions'] = [];
  const compiled = () => (sessions.at(-1)?.serverV8HelperCpuMs ?? Infinity) < SETTLED_HELPER_CPU_MS;
  while (!compiled() && sessions.length < MAX_FIRST_SESSIONS) {
    const before = helperCpuMs(server);
    const figures = await session();
    sessions.push({ ...figures, serverV8HelperCpuMs: Math.round(helperCpuMs(server) - before) });
  }
  return { sessions, compiled: compiled() };
}

const mib = (bytesPerSecond: number) => Math.round((bytesPerSecond / 2 ** 20) * 10) / 10;

/** 1 GiB as a non-TTY session read by a client process of its own, and the server's CPU meanwhile. */
async function sessionThroughput(server: { url: string; pid: number }, token: string): Promise<ReaderFigures & { serverCpuSeconds: number }> {
  const before = cpuSeconds(server.pid);
  const r = await readInProcess('session', THROUGHPUT_BYTES, { url: server.url, token });
  if (r.bytes !== THROUGHPUT_BYTES || r.exitStatus !== 0) throw new Error(`throughput session returned ${r.bytes} bytes, status ${r.exitStatus}`);
  return { ...r, serverCpuSeconds: cpuSeconds(server.pid) - before };
}

async function directThroughput(kind: 'direct' | 'direct-socketpair' | 'direct-reused'): Promise<ReaderFigures> {
  const r = await readInProcess(kind, THROUGHPUT_BYTES);
  if (r.bytes !== THROUGHPUT_BYTES) throw new Error(`direct pipe (${kind}) read ${r.bytes} bytes`);
  return r;
}

/** The baseline: the same `cat` under a node-pty in this process. */
export const localPty: OpenKeystrokeSession = async () => {
  const term = pty.spawn('/bin/sh', ['-c', 'exec cat > /dev/null'], { cols: 80, rows: 24 });
  return {
    send: (k) => term.write(k),
    onOutput: (l) => void term.onData(l),
    close: async () => term.kill('SIGKILL'),
  };
};

// A loopback TCP echo in another node process: a keystroke's cross-process hops and
// nothing else (no HTTP, no PTY, no codec), so the machine's floor for any exec that
// lives in a second process; on a VM its tail is the vCPUs' wake-up latency.
// A carriage return comes back as CR LF, as a terminal's line discipline echoes it.
const ECHO_SERVER = "const s=require('net').createServer((c)=>{c.setNoDelay(true);c.on('data',(d)=>c.write(d[0]===13?'\\r\\n':d))}).listen(0,'127.0.0.1',()=>console.log(s.address().port));process.stdin.on('end',()=>process.exit(0)).resume()";

/** The floor: one byte to an echo server in another process and back, over loopback TCP. */
export const tcpEcho: OpenKeystrokeSession = async () => {
  const child = spawn(process.execPath, ['-e', ECHO_SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = Number(await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)));
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise((resolve) => socket.once('connect', resolve));
  return {
    send: (k) => void socket.write(k),
    onOutput: (l) => void socket.on('data', (d: Buffer) => l(d.toString('latin1'))),
    close: async () => {
      socket.destroy();
      child.stdin!.end();
      await new Promise((r) => child.once('exit', r));
    },
  };
};

async function idleMemory(client: SwitchboardClient, server: Server): Promise<Record<string, number>> {
  const before = rssBytes(server.pid);
  const sessions: { s: OutputStreamHandle; input: ReturnType<SwitchboardClient['openInput']> }[] = [];
  for (let i = 0; i < IDLE_SESSIONS; i++) {
    // An idle interactive shell: a TTY session with an input stream attached, like `exec -it sh`.
    const { call, id } = sessionCall('echo ready; exec cat', true);
    const s = await openSession(client, call);
    const it = s.records[Symbol.asyncIterator]();
    let text = '';
    while (!text.includes('ready')) {
      const next = await it.next();
      if (next.done) throw new Error('idle session ended early');
      if (next.value.type === 'DATA') text += next.value.data!.data!.toString();
    }
    const input = client.openInput(id, 'application/x-protobuf');
    await input.send(stdinRecord(''));
    sessions.push({ s, input });
  }
  const after = rssBytes(server.pid);
  for (const { s, input } of sessions) {
    input.destroy();
    s.destroy();
  }
  return { sessions: IDLE_SESSIONS, rssBeforeBytes: before, rssAfterBytes: after, bytesPerSession: Math.round((after - before) / IDLE_SESSIONS) };
}

export async function run(): Promise<object> {
  const token = randomBytes(16).toString('hex');
  const server = await startServer(token);
  const client = new SwitchboardClient({ url: server.url, token });
  try {
    // Before minutes of throughput rounds, not after: the keystroke warm-up needs them.
    if (server.v8HelperTids.length === 0) throw new Error('bench switchboard server: its V8 helper threads could not be told apart, so the end of its keystroke warm-up cannot be seen');
    // Memory on a server of its own: the 100 sessions it kills at the end would otherwise
    // still be cleaned up while throughput is measured, and later phases leave garbage
    // that would blur the memory delta.
    const memoryServer = await startServer(token);
    let memory: Awaited<ReturnType<typeof idleMemory>>;
    try {
      memory = await idleMemory(new SwitchboardClient({ url: memoryServer.url, token }), memoryServer);
    } finally {
      memoryServer.child.stdin!.end();
      await new Promise((r) => memoryServer.child.once('exit', r));
    }
    // The same session over a unix socket too, to show what the loopback TCP stack costs.
    // Rounds interleave the readers so that load from elsewhere hits them alike;
    // every round is judged, the medians shown.
    const relayFloor = await RelayFloor.build();
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-bench-sock-'));
    const unixServer = await startServer(token, path.join(dir, 'switchboard.sock'));
    const rounds: { direct: number; directSocketpair: number; directPooled: number; relayFloor: number; relayFloorCpu: number; tcp: number; unix: number; clientCpu: number; serverCpu: number; directIdle: number | undefined; tcpIdle: number | undefined; loadAverage: number }[] = [];
    const firstOutputSession = async () => {
      const r = await sessionThroughput(server, token);
      return { switchboardMiBps: mib(r.bytes / r.seconds), serverCpuSeconds: Math.round(r.serverCpuSeconds * 100) / 100 };
    };
    let firstOutput: { tcp: FirstSessions<{ switchboardMiBps: number; serverCpuSeconds: number }>; unix: Awaited<ReturnType<typeof sessionThroughput>> };
    try {
      // The unix socket's server is not judged: one first session for it, as before.
      firstOutput = { tcp: await firstSessionsOf(server, firstOutputSession), unix: await sessionThroughput(unixServer, token) };
      for (let round = 0; round < ROUNDS; round++) {
        const direct = await directThroughput('direct');
        const socketpair = await directThroughput('direct-socketpair');
        const pooled = await directThroughput('direct-reused');
        const floor = await relayFloor.run(THROUGHPUT_BYTES);
        const tcp = await sessionThroughput(server, token);
        const unix = await sessionThroughput(unixServer, token);
        rounds.push({ direct: direct.bytes / direct.seconds, directSocketpair: socketpair.bytes / socketpair.seconds, directPooled: pooled.bytes / pooled.seconds, relayFloor: floor.bytes / floor.seconds, relayFloorCpu: floor.relayCpuSeconds, tcp: tcp.bytes / tcp.seconds, unix: unix.bytes / unix.seconds, clientCpu: tcp.cpuSeconds, serverCpu: tcp.serverCpuSeconds, directIdle: direct.machineIdleShare, tcpIdle: tcp.machineIdleShare, loadAverage: loadavg()[0]! });
      }
    } finally {
      relayFloor.dispose();
      unixServer.child.stdin!.end();
      await new Promise((r) => unixServer.child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
    const starts = await sessionStart(client, server.isolated);
    // The switchboard's first TTY sessions (see SETTLED_HELPER_CPU_MS): an executor's
    // switchboard that serves people for days is past them. Reported apart, not judged;
    // every measured round's client is cold, a new process as each `exec -it` is.
    const firstTty = await firstSessionsOf(server, async () => summarize(await cliKeystrokes(server.url, token)));
    // Keystroke rounds interleave the local PTY, the TCP echo and the session, as the
    // throughput rounds do.
    const keyRounds: { localPty: LatencySummary; tcpEcho: LatencySummary; switchboard: LatencySummary; loadAverage: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const local = summarize(await keystrokeLatency(localPty));
      const echo = summarize(await keystrokeLatency(tcpEcho));
      const remote = summarize(await cliKeystrokes(server.url, token));
      keyRounds.push({ localPty: local, tcpEcho: echo, switchboard: remote, loadAverage: loadavg()[0]! });
    }
    const overWebSocket = await wsKeystroke(agentApiSession(client), server.url, token);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const range = (xs: number[]) => ({ min: Math.min(...xs), max: Math.max(...xs) });
    const ratio3 = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
    const ratios = rounds.map((r) => ratio3(r.tcp, r.direct));
    const unixRatios = rounds.map((r) => ratio3(r.unix, r.direct));
    const pooledRatios = rounds.map((r) => ratio3(r.tcp, r.directPooled));
    const socketpairRatios = rounds.map((r) => ratio3(r.tcp, r.directSocketpair));
    const floorRatios = rounds.map((r) => ratio3(r.tcp, r.relayFloor));
    const floorToDirect = rounds.map((r) => ratio3(r.relayFloor, r.direct));
    const directIdles = rounds.flatMap((r) => (r.directIdle === undefined ? [] : [r.directIdle]));
    const sessionIdles = rounds.flatMap((r) => (r.tcpIdle === undefined ? [] : [r.tcpIdle]));
    const throughput = {
      bytesPerRun: THROUGHPUT_BYTES,
      rounds: rounds.map((r, i) => ({
        directPipeMiBps: mib(r.direct),
        switchboardTcpMiBps: mib(r.tcp),
        switchboardUnixMiBps: mib(r.unix),
        ratioToDirect: ratios[i]!,
        unixSocketRatioToDirect: unixRatios[i]!,
        childProcessPipeMiBps: mib(r.directSocketpair),
        ratioToChildProcessPipe: socketpairRatios[i]!,
        directPipeReusedBuffersMiBps: mib(r.directPooled),
        ratioToDirectReusedBuffers: pooledRatios[i]!,
        relayFloorMiBps: mib(r.relayFloor),
        relayFloorRatioToDirect: floorToDirect[i]!,
        ratioToRelayFloor: floorRatios[i]!,
        relayFloorCpuSeconds: Math.round(r.relayFloorCpu * 100) / 100,
        met: ratios[i]! >= TARGETS.throughputRatioToDirect,
        // Where the time goes for 1 GiB over TCP, and how busy the machine was (others' work included).
        switchboardServerCpuSeconds: Math.round(r.serverCpu * 100) / 100,
        clientCpuSeconds: Math.round(r.clientCpu * 100) / 100,
        // Both cores busy or not: the session's three processes leave one idle when the
        // kernel puts the command and the server on the same core (docs/switchboard.md).
        ...(r.directIdle !== undefined && r.tcpIdle !== undefined ? { directPipeMachineIdleShare: r.directIdle, switchboardMachineIdleShare: r.tcpIdle } : {}),
        loadAverage1m: Math.round(r.loadAverage * 100) / 100,
      })),
      directPipeMiBps: mib(median(rounds.map((r) => r.direct))),
      switchboardMiBps: mib(median(rounds.map((r) => r.tcp))),
      ratioToDirect: median(ratios),
      ratioToDirectRange: range(ratios),
      roundsMet: ratios.filter((x) => x >= TARGETS.throughputRatioToDirect).length,
      unixSocketMiBps: mib(median(rounds.map((r) => r.unix))),
      unixSocketRatioToDirect: median(unixRatios),
      // Reported, not judged: child_process' 'pipe' (a socketpair, the judged baseline until
      // sessions read real pipes too), and the pipe read as the switchboard reads a session's.
      childProcessPipeMiBps: mib(median(rounds.map((r) => r.directSocketpair))),
      ratioToChildProcessPipe: median(socketpairRatios),
      directPipeReusedBuffersMiBps: mib(median(rounds.map((r) => r.directPooled))),
      ratioToDirectReusedBuffers: median(pooledRatios),
      ratioToDirectReusedBuffersRange: range(pooledRatios),
      // The transport alone (relay-floor.c: pipe -> loopback TCP by a C program, read by Node):
      // how much of the direct pipe any relay through a socket keeps, and ours of it.
      relayFloorMiBps: mib(median(rounds.map((r) => r.relayFloor))),
      relayFloorRatioToDirect: median(floorToDirect),
      relayFloorRatioToDirectRange: range(floorToDirect),
      ratioToRelayFloor: median(floorRatios),
      ratioToRelayFloorRange: range(floorRatios),
      // How much of the machine nobody used while each reader read (medians and ranges).
      ...(directIdles.length === ROUNDS && sessionIdles.length === ROUNDS
        ? { machineIdleShare: { directPipe: median(directIdles), directPipeRange: range(directIdles), switchboard: median(sessionIdles), switchboardRange: range(sessionIdles) } }
        : {}),
      target: `switchboard (loopback TCP) >= ${TARGETS.throughputRatioToDirect} x direct pipe in every one of ${ROUNDS} rounds, after the server's first output sessions: until one in which its V8 helpers used < ${SETTLED_HELPER_CPU_MS} ms (at most ${MAX_FIRST_SESSIONS})`,
      firstSession: {
        switchboardTcpMiBps: firstOutput.tcp.sessions[0]!.switchboardMiBps,
        switchboardUnixMiBps: mib(firstOutput.unix.bytes / firstOutput.unix.seconds),
        switchboardServerCpuSeconds: firstOutput.tcp.sessions[0]!.serverCpuSeconds,
      },
      firstSessions: firstOutput.tcp.sessions,
      // False: the rounds ran while V8 still compiled (the cap was reached).
      firstSessionsCompiled: firstOutput.tcp.compiled,
    };
    const p99s = keyRounds.map((r) => r.switchboard.p99Ms);
    const keystrokeRoundTrip = {
      keystrokes: KEYSTROKES,
      rounds: keyRounds.map((r) => ({ localPty: r.localPty, tcpEcho: r.tcpEcho, switchboard: r.switchboard, met: r.switchboard.p99Ms < TARGETS.keystrokeP99Ms, loadAverage1m: Math.round(r.loadAverage * 100) / 100 })),
      // The median round by the session's p99, as the figure the tables show.
      ...(() => {
        const mid = [...keyRounds].sort((a, b) => a.switchboard.p99Ms - b.switchboard.p99Ms)[Math.floor(keyRounds.length / 2)]!;
        return { localPty: mid.localPty, switchboard: mid.switchboard, p99RatioToLocal: Math.round((mid.switchboard.p99Ms / mid.localPty.p99Ms) * 100) / 100 };
      })(),
      switchboardP99MsRange: range(p99s),
      localPtyP99MsRange: range(keyRounds.map((r) => r.localPty.p99Ms)),
      tcpEchoP99MsRange: range(keyRounds.map((r) => r.tcpEcho.p99Ms)),
      roundsMet: p99s.filter((x) => x < TARGETS.keystrokeP99Ms).length,
      target: `switchboard p99 < ${TARGETS.keystrokeP99Ms} ms in every one of ${ROUNDS} rounds, after the switchboard's first TTY sessions: until one in which its V8 helpers used < ${SETTLED_HELPER_CPU_MS} ms (at most ${MAX_FIRST_SESSIONS})`,
      firstSessions: firstTty.sessions,
      // False: the rounds ran while V8 still compiled (the cap was reached).
      firstSessionsCompiled: firstTty.compiled,
    };
    return {
      throughput,
      keystrokeRoundTrip,
      idleSessionMemory: { ...memory, target: '< 1 MiB per idle session' },
      sessionStart: starts,
      wsKeystroke: overWebSocket,
      targetsMet: {
        throughput: throughput.roundsMet === ROUNDS,
        keystrokeP99: keystrokeRoundTrip.roundsMet === ROUNDS,
        memoryPerSession: memory.bytesPerSession! < 2 ** 20,
      },
      setup: `switchboard in its own node process (as in the executor), client in the benchmark process for memory and session start (a TTY session's keystrokes: in a process of its own set up as exec -it is, bench/switchboard/keystroke-client.ts); loopback TCP, protobuf records; throughput = \`head -c 1GiB /dev/zero\` as a non-TTY session (loopback TCP, and a unix socket for comparison), its records read as exec reads them (leasedRecords: no copy of their bytes), vs the command into a pipe(2) read as a plain Node program does (judged), through child_process' socketpair (reported), the pipe read into reused buffers as the switchboard reads (reported), and relayed from a pipe into loopback TCP by a C program (bench/switchboard/relay-floor.c), read as the direct pipe is (the transport floor, reported); each of these readers a process of its own (bench/switchboard/throughput-reader.ts); latency = one key to its echo by the line discipline of a PTY running cat, via a TTY session vs a local node-pty, and one byte echoed by another node process over loopback TCP (the floor of any two-process path); ${ROUNDS} interleaved rounds of each, every round judged against its target`,
    };
  } finally {
    server.child.stdin!.end();
    await new Promise((r) => server.child.once('exit', r));
  }
}
