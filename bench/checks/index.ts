// Checks benchmark (issue 3), everything in one run against the same local target, a
// node HTTP server in a child process of its own (so its CPU is not counted as ours):
//   1. CPU time per probe, in-process (checks/http-probe.ts, checks/tcp-probe.ts; after a
//      warm-up until steady, then in rounds alternating with kubelet's way: per-probe.ts) against
//      the Mesos way: forking `curl -s -S -L -k -w %{http_code} -o /dev/null -g URL` per
//      HTTP probe and a connect helper (`bash --norc -c 'exec 3<>/dev/tcp/127.0.0.1/PORT'`, in
//      place of mesos-tcp-connect) per TCP probe. Our CPU comes from process.cpuUsage();
//      the forked children's from cutime+cstime in /proc/self/stat (children we reaped).
//   2. Load: N tasks (default 1,000), each with a 1 s HTTP health check, for D seconds
//      (default 60) through the real TaskCheckFactory (scheduler, probes, interpretation,
//      history, metrics): this process's CPU share of one core and the p99 lateness of
//      probe starts against their due times.
// Targets (issue 3): >= 40x less CPU per HTTP probe than forking; 1,000 checks/s under
// 15 % of one core; p99 lateness < 50 ms.
// `node dist/bench/checks/index.js [--quick]` runs it alone and writes
// bench/results/checks.json; MESOS_SIDECAR_BENCH_QUICK=1 selects the quick mode too.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { Writable } from 'node:stream';
import { systemClock } from '../../common/clock.js';
import { createLogger } from '../../common/logger.js';
import { signalGroup } from '../../common/process.js';
import { probeHttp } from '../../checks/http-probe.js';
import { probeTcp } from '../../checks/tcp-probe.js';
import { CheckScheduler } from '../../checks/scheduler.js';
import { createTaskCheckFactory, type TaskChecks } from '../../checks/index.js';
import { parseHealthCheck, type HttpSpec, type TcpSpec } from '../../checks/definitions.js';
import { percentile, runMeta, summarize } from '../stats.js';
import { KubeletProber, KubeletProberUnavailable, type KubeletProbeCost } from './kubelet-prober.js';
import { combineRounds, QUICK_WARM_UP, roundSizes, WARM_UP, warmUpState, type WarmUpRule, type WarmUpState } from './per-probe.js';

export interface ChecksBenchOptions {
  quick?: boolean;
  inProcessProbes?: number;
  forkedProbes?: number;
  /** Alternating rounds of ours and kubelet's way that the in-process probes are split into (default 3; quick 1). */
  kubeletRounds?: number;
  tasks?: number;
  /** Tasks of the 10,000-checks-a-second scenario (default 10,000; quick 1,000). */
  agentScaleTasks?: number;
  durationSeconds?: number;
  /** Seconds to let the first burst of probes pass before measuring the load. Default 3. */
  settleSeconds?: number;
  /** Wait before each phase until fewer sockets are in TIME_WAIT (default 8000; Infinity: never). */
  quietTimeWaitLimit?: number;
}

const repoDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'); // from dist/bench/checks

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux; /proc times are in these ticks

/** CPU ms of reaped children (cutime + cstime). */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); cutime and cstime are fields 16 and 17.
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLK_TCK;
}

function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function startTarget(): Promise<{ port: number; child: ChildProcess; stop: () => Promise<void> }> {
  // A canned response on the first bytes of each connection: the target's CPU is not what is
  // measured, but at 10,000 connections a second node:http's parser would make it the
  // bottleneck on a 2-core machine, and late answers would show up as our lateness.
  const js = `const r=Buffer.from('HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok');const s=require('net').createServer((c)=>{c.on('error',()=>{});c.once('data',()=>c.end(r))});s.listen({port:0,host:'127.0.0.1',backlog:4096},()=>process.stdout.write(String(s.address().port)+'\\n'));`;
  const child = spawn(process.execPath, ['-e', js], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(chunk.toString().trim());
  return {
    port,
    child,
    stop: async () => {
      const exited = once(child, 'exit');
      signalGroup(child.pid!, 'SIGKILL');
      await exited;
    },
  };
}

function execFileP(file: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(file, args, (err, stdout) => (err ? reject(err) : resolvePromise(stdout)));
    // libuv's stdio pipes are socketpairs: a bash whose stdin is a socket believes rshd
    // started it and sources ~/.bashrc (here: `pyenv init`, 100+ ms). Close stdin instead.
    child.stdin?.end();
  });
}

/** Sockets in TIME_WAIT, machine-wide (/proc/net/sockstat). */
function timeWaitSockets(): number {
  const m = /TCP:.* tw (\d+)/.exec(readFileSync('/proc/net/sockstat', 'utf8'));
  return m ? Number(m[1]) : 0;
}

// Near exhaustion of the ephemeral port range, the kernel's search for a free port in
// connect() gets expensive, and that CPU is charged to whoever connects (curl, bash or us).
// Each phase therefore starts with the TIME_WAIT table below a bound (they expire in 60 s).
let quietLimit = 8000;

async function waitForQuietPorts(limit = quietLimit, maxWaitMs = 70_000): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  while (timeWaitSockets() > limit && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
  return timeWaitSockets();
}

interface CpuPerProbe {
  probes: number;
  cpuMsPerProbe: number;
  selfCpuMsPerProbe: number;
  childCpuMsPerProbe: number;
  wallMsPerProbe: number;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** CPU and wall time of `probes` calls of `one`, unrounded (rounds are summed before rounding). */
async function measure(probes: number, one: () => Promise<void>): Promise<CpuPerProbe> {
  const self0 = selfCpuMs();
  const child0 = childrenCpuMs();
  const wall0 = performance.now();
  for (let i = 0; i < probes; i++) await one();
  const wall = performance.now() - wall0;
  const self = selfCpuMs() - self0;
  const child = childrenCpuMs() - child0;
  return { probes, cpuMsPerProbe: (self + child) / probes, selfCpuMsPerProbe: self / probes, childCpuMsPerProbe: child / probes, wallMsPerProbe: wall / probes };
}

function rounded(m: CpuPerProbe): CpuPerProbe {
  return { probes: m.probes, cpuMsPerProbe: round3(m.cpuMsPerProbe), selfCpuMsPerProbe: round3(m.selfCpuMsPerProbe), childCpuMsPerProbe: round3(m.childCpuMsPerProbe), wallMsPerProbe: round3(m.wallMsPerProbe) };
}

/** A forked helper per probe: a fixed short warm-up (page cache), then the measurement. */
async function measureForked(probes: number, one: () => Promise<void>): Promise<CpuPerProbe & { timeWaitSocketsAtStart: number }> {
  const timeWaitSocketsAtStart = await waitForQuietPorts();
  for (let i = 0; i < 20; i++) await one();
  return { timeWaitSocketsAtStart, ...rounded(await measure(probes, one)) };
}

/** In-process probes until their CPU per probe is steady (per-probe.ts); what that cost. */
async function warmUp(one: () => Promise<void>, rule: WarmUpRule) {
  const batches: number[] = [];
  let state: WarmUpState = 'continue';
  while (state === 'continue') {
    batches.push((await measure(rule.batch, one)).cpuMsPerProbe);
    state = warmUpState(batches, rule);
  }
  const probes = batches.length * rule.batch;
  return { probes, cpuMsPerProbe: round3(batches.reduce((a, b) => a + b, 0) / batches.length), steady: state === 'steady', lastBatchesCpuMsPerProbe: batches.slice(-rule.window).map(round3) };
}

/**
 * Ours, then kubelet's way against the same target, in alternating rounds after our warm-up
 * (per-probe.ts says why); each side's figure is the total over its rounds.
 */
async function versusKubeletInRounds(probes: number, rounds: number, rule: WarmUpRule, one: () => Promise<void>, theirs: (probes: number) => Promise<KubeletProbeCost>) {
  const timeWaitSocketsAtStart = await waitForQuietPorts();
  const warm = await warmUp(one, rule);
  const ours: CpuPerProbe[] = [];
  const kubelet: KubeletProbeCost[] = [];
  const perRound: Array<{ oursCpuMsPerProbe: number; kubeletCpuMsPerProbe: number; timeWaitSocketsAtStart: number }> = [];
  for (const n of roundSizes(probes, rounds)) {
    const tw = await waitForQuietPorts();
    const o = await measure(n, one);
    await waitForQuietPorts();
    const k = await theirs(n);
    ours.push(o);
    kubelet.push(k);
    perRound.push({ oursCpuMsPerProbe: round3(o.cpuMsPerProbe), kubeletCpuMsPerProbe: k.cpuMsPerProbe, timeWaitSocketsAtStart: tw });
  }
  const inProcess = { timeWaitSocketsAtStart, warmUp: warm, rounds: perRound, ...rounded(combineRounds(ours)) };
  const k = combineRounds(kubelet, ['failures']);
  const k3 = { ...k, cpuMsPerProbe: Math.round(k.cpuMsPerProbe * 10_000) / 10_000, wallMsPerProbe: Math.round(k.wallMsPerProbe * 10_000) / 10_000 };
  return { inProcess, kubelet: k3 };
}

/** Ours against kubelet's way: CPU per probe, ours / theirs (targets: HTTP <= 0.5, TCP <= 0.8). */
function versusKubelet(ours: CpuPerProbe, kubelet: KubeletProbeCost, target: number) {
  const ratio = Math.round((ours.cpuMsPerProbe / kubelet.cpuMsPerProbe) * 1000) / 1000;
  return { kubelet, cpuRatio: ratio, target, met: ratio <= target };
}

async function cpuPerProbe(port: number, inProcess: number, forked: number, rounds: number, rule: WarmUpRule, kubelet: KubeletProber) {
  const never = new AbortController().signal;
  const http: HttpSpec = { type: 'HTTP', scheme: 'http', host: '127.0.0.1', port, path: '/health', followRedirects: true };
  const tcp: TcpSpec = { type: 'TCP', host: '127.0.0.1', port };
  const url = `http://127.0.0.1:${port}/health`;
  const httpPair = await versusKubeletInRounds(inProcess, rounds, rule, async () => {
    const o = await probeHttp(http, { signal: never });
    if (o.kind !== 'result' || o.result.type !== 'HTTP' || o.result.statusCode !== 200) throw new Error(`in-process HTTP probe failed: ${JSON.stringify(o)}`);
  }, (n) => kubelet.http(url, n));
  const httpIn = httpPair.inProcess;
  const httpForked = await measureForked(forked, async () => {
    const out = await execFileP('curl', ['-s', '-S', '-L', '-k', '-w', '%{http_code}', '-o', '/dev/null', '-g', url]);
    if (out !== '200') throw new Error(`curl printed ${JSON.stringify(out)}`);
  });
  const tcpPair = await versusKubeletInRounds(inProcess, rounds, rule, async () => {
    const o = await probeTcp(tcp, { signal: never });
    if (o.kind !== 'result' || o.result.type !== 'TCP' || !o.result.succeeded) throw new Error(`in-process TCP probe failed: ${JSON.stringify(o)}`);
  }, (n) => kubelet.tcp(`127.0.0.1:${port}`, n));
  const tcpIn = tcpPair.inProcess;
  const tcpForked = await measureForked(forked, async () => {
    await execFileP('bash', ['--norc', '--noprofile', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`]);
  });
  const ratio = (a: CpuPerProbe, b: CpuPerProbe) => Math.round((b.cpuMsPerProbe / a.cpuMsPerProbe) * 10) / 10;
  return {
    kubeletProber: { go: kubelet.goVersion },
    http: {
      inProcess: httpIn,
      forkedCurl: httpForked,
      cpuRatio: ratio(httpIn, httpForked),
      target: 50,
      met: ratio(httpIn, httpForked) >= 50,
      versusKubelet: versusKubelet(httpIn, httpPair.kubelet, 0.5),
    },
    tcp: {
      inProcess: tcpIn,
      forkedHelper: { helper: "bash --norc --noprofile -c 'exec 3<>/dev/tcp/127.0.0.1/PORT'", ...tcpForked },
      cpuRatio: ratio(tcpIn, tcpForked),
      versusKubelet: versusKubelet(tcpIn, tcpPair.kubelet, 0.8),
    },
  };
}

interface LoadScenario {
  tasks: number;
  intervalSeconds: number;
  durationSeconds: number;
  settleSeconds: number;
  targets: { cpuShareOfOneCore: number; p99LatenessMs: number; rssMiB?: number };
}

async function load(port: number, scenario: LoadScenario) {
  const { tasks, intervalSeconds, durationSeconds, settleSeconds, targets } = scenario;
  const lateness: number[] = [];
  let measuring = false;
  const scheduler = new CheckScheduler({
    clock: systemClock,
    onStart: (lateMs) => {
      if (measuring) lateness.push(lateMs);
    },
  });
  const timeWaitSocketsAtStart = await waitForQuietPorts();
  const factory = createTaskCheckFactory({ scheduler });
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const logger = createLogger({ name: 'bench', level: 'warn', destination: sink });
  let healthy = 0;
  let unhealthy = 0;
  const runners: TaskChecks[] = [];
  const definitions = { health: parseHealthCheck({ type: 'HTTP', http: { port, path: '/health' }, delay_seconds: 0, interval_seconds: intervalSeconds, timeout_seconds: 5, grace_period_seconds: 10 }) };
  for (let i = 0; i < tasks; i++) {
    const runner = factory.create(definitions, {
      taskId: `task-${i}`,
      environment: {},
      workingDirectory: process.cwd(),
      logger,
      clock: systemClock,
      reportHealth: (r) => void (r.healthy ? healthy++ : unhealthy++),
      reportCheck: () => undefined,
      reportReadiness: () => undefined,
    })!;
    runners.push(runner);
  }
  // First probes are due at once for every task (delay 0): let that burst pass, then measure.
  await new Promise((r) => setTimeout(r, settleSeconds * 1000));
  const probesBefore = runners.reduce((n, r) => n + r.healthHistory.total, 0);
  measuring = true;
  const self0 = selfCpuMs();
  const wall0 = performance.now();
  const elu0 = performance.eventLoopUtilization();
  await new Promise((r) => setTimeout(r, durationSeconds * 1000));
  const wall = performance.now() - wall0;
  const cpu = selfCpuMs() - self0;
  const elu = performance.eventLoopUtilization(elu0);
  measuring = false;
  const probes = runners.reduce((n, r) => n + r.healthHistory.total, 0) - probesBefore;
  const latencies = runners.flatMap((r) => r.healthHistory.recent().map((x) => x.latencyMs));
  const failures = runners.reduce((n, r) => n + r.healthHistory.recent().filter((x) => x.kind !== 'result' || x.statusCode !== 200).length, 0);
  for (const r of runners) r.stop();
  const cpuShare = cpu / wall;
  const p99 = percentile(lateness, 99);
  const rss = Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10;
  return {
    tasks,
    timeWaitSocketsAtStart,
    timeWaitSocketsAtEnd: timeWaitSockets(),
    intervalSeconds,
    durationSeconds,
    probes,
    probesPerSecond: Math.round((probes / wall) * 1000 * 10) / 10,
    cpuShareOfOneCore: Math.round(cpuShare * 1000) / 1000,
    cpuMsPerProbe: Math.round((cpu / probes) * 1000) / 1000,
    eventLoopUtilization: Math.round(elu.utilization * 1000) / 1000,
    lateness: summarize(lateness),
    probeLatencyLast10PerTask: summarize(latencies),
    failedProbesInLast10PerTask: failures,
    healthReports: { healthy, unhealthy },
    // This process holds every check of the scenario, as the executor would: its RSS at the
    // end is what the checks of that many tasks cost in memory (Node's own ~40 MiB included).
    rssMiB: rss,
    targets,
    met: { cpu: cpuShare < targets.cpuShareOfOneCore, lateness: p99 < targets.p99LatenessMs, ...(targets.rssMiB !== undefined ? { rss: rss < targets.rssMiB } : {}) },
  };
}

export async function run(options: ChecksBenchOptions = {}): Promise<object> {
  const quick = options.quick ?? process.env.MESOS_SIDECAR_BENCH_QUICK === '1';
  quietLimit = options.quietTimeWaitLimit ?? 8000;
  // Without the baseline the headline ratios cannot be stated: say so and fail the suite
  // (bench/run.ts exits non-zero on `incomplete`), rather than drop the row.
  let kubelet: KubeletProber;
  try {
    kubelet = await KubeletProber.build(repoDir);
  } catch (err) {
    if (!(err instanceof KubeletProberUnavailable)) throw err;
    return { quick, incomplete: [`kubelet baseline: ${err.message}`] };
  }
  const target = await startTarget();
  const loadBefore = loadavg();
  try {
    const perProbe = await cpuPerProbe(target.port, options.inProcessProbes ?? (quick ? 300 : 3000), options.forkedProbes ?? (quick ? 50 : 300), options.kubeletRounds ?? (quick ? 1 : 3), quick ? QUICK_WARM_UP : WARM_UP, kubelet);
    const durationSeconds = options.durationSeconds ?? (quick ? 3 : 60);
    const settleSeconds = options.settleSeconds ?? (quick ? 1 : 3);
    // Issue 11's targets: 1,000 tasks x 1 s under 10 % of a core, p99 lateness under 20 ms;
    // 10,000 checks a second (10,000 tasks x 1 s) under one core, p99 under 50 ms, RSS under 150 MiB.
    const loaded = await load(target.port, { tasks: options.tasks ?? (quick ? 100 : 1000), intervalSeconds: 1, durationSeconds, settleSeconds, targets: { cpuShareOfOneCore: 0.1, p99LatenessMs: 20 } });
    const agentScale = await load(target.port, { tasks: options.agentScaleTasks ?? (quick ? 1000 : 10_000), intervalSeconds: 1, durationSeconds, settleSeconds, targets: { cpuShareOfOneCore: 1, p99LatenessMs: 50, rssMiB: 150 } });
    return {
      quick,
      cpuPerProbe: perProbe,
      load: loaded,
      agentScale,
      // The machine is shared (2 cores): other work running at the same time inflates every figure.
      machineLoadAverage: { before: loadBefore.map((x) => Math.round(x * 100) / 100), after: loadavg().map((x) => Math.round(x * 100) / 100) },
      notes: 'Target server in a separate process, not counted. Forked CPU = our spawn cost + reaped children (curl/bash) user+system time. In-process HTTP probe: checks/http-probe.ts, HTTP/1.1 on node:net, a fresh connection per probe as curl does (Connection: close). kubelet baseline: shared/anchors/kubelet-prober built with Debian Go, process CPU (getrusage) per probe after 200 warm-up probes of its own. Ours after a warm-up until steady (cpuPerProbe.*.inProcess.warmUp, bench/checks/per-probe.ts), then ours and kubelet\'s in alternating rounds, each side summed over its rounds.',
    };
  } finally {
    kubelet.dispose();
    await target.stop();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const started = new Date();
  run({ quick: quick || process.env.MESOS_SIDECAR_BENCH_QUICK === '1' }).then(
    (result) => {
      const here = dirname(fileURLToPath(import.meta.url)); // dist/bench/checks
      const dir = join(here, '..', '..', '..', 'bench', 'results');
      mkdirSync(dir, { recursive: true });
      // The same meta block as bench/run.ts writes, so both ways of running read alike.
      const meta = runMeta(started, 'checks');
      const doc = { ...result, meta };
      if (!quick) writeFileSync(join(dir, 'checks.json'), `${JSON.stringify(doc, null, 2)}\n`);
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`bench/checks: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

