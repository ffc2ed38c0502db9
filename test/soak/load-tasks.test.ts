// Load: thousands of tasks launched and then all killed, through the real executor
// process and wire. Asserted: every task ends TASK_KILLED with its updates in order and
// none duplicated after acknowledgement; kill-all time grows about linearly with the
// number of tasks (it was quadratic: 1.5 s for 1000, 19.8 s for 2000); inside the
// executor, p99 event-loop delay stays within 50 ms of that of a well-behaved busy process
// on the same machine at the same time, and peak RSS under a bound.
// make test: one round of 200 tasks (longest delay asserted, see MAX_DELAY_BOUND_MS);
// make soak: rounds of 1000, 2000 and 5000 (p99 asserted).
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bySuiteScale, suiteScale, writeSuiteResult } from '../helpers/suite.js';
import { argvTask, startExecutor, uniqueId } from '../helpers/tasks.js';
import type { ReceivedUpdate } from '../../agent/emulator.js';
import type { RunStats } from '../../executor/run-stats.js';

const ROUNDS = bySuiteScale([200], [1000, 2000, 5000]);
const P99_DELAY_BOUND_MS = 50;
/**
 * make test runs this next to every other test file on the same two cores, where the p99
 * bound does not hold (118 ms seen, 22 ms for the busy baseline); there the slice only
 * asserts that no event waited half a second.
 */
const MAX_DELAY_BOUND_MS = 500;
/**
 * Node with our modules is ~70 MB; a running task measured ~40 KB (its TaskInfo,
 * environment, ChildProcess, updates in flight, heap slack): 100 MB + 50 KB per task.
 */
const rssBoundBytes = (tasks: number): number => (100 + tasks * 0.05) * 1024 * 1024;

const ORDER = ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_KILLED'];

interface RoundFigures {
  tasks: number;
  launchToAllRunningMs: number;
  killAllMs: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** p99 of a well-behaved busy process measured alongside: what the machine alone costs. */
  busyProcessP99Ms: number;
  maxRssMB: number;
}

/** Resolves when `count(update)` has been true `n` times; fails loudly after `timeoutMs`. */
function countUpdates(agent: { on(e: 'update', f: (u: ReceivedUpdate) => void): unknown; off(e: 'update', f: (u: ReceivedUpdate) => void): unknown }, n: number, pred: (u: ReceivedUpdate) => boolean, what: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const timer = setTimeout(() => {
      agent.off('update', listener);
      reject(new Error(`only ${seen} of ${n} ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (u: ReceivedUpdate): void => {
      if (!pred(u) || ++seen < n) return;
      clearTimeout(timer);
      agent.off('update', listener);
      resolve();
    };
    agent.on('update', listener);
  });
}

/**
 * A Node process that is busy half the time but never holds its loop for more than 1 ms,
 * measuring its own event-loop delay the same way and at the same time. On a shared
 * machine much of a busy process's delay is waiting for a CPU (2 cores, load 7-15 here:
 * such a process alone sees a p99 of ~30 ms); the bound is about what the executor adds.
 */
function busyBaseline(t: Test): { stop(): Promise<RunStats> } {
  const statsModule = new URL('../../executor/run-stats.js', import.meta.url).href;
  const script = `import { startRunStats } from ${JSON.stringify(statsModule)};
const stats = startRunStats();
let timer;
const work = () => { const end = performance.now() + 1; while (performance.now() < end); timer = setTimeout(work, 1); };
work();
process.stdin.resume();
process.stdin.on('end', () => { clearTimeout(timer); process.stdout.write(JSON.stringify(stats.stop())); });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    async stop() {
      child.stdin.end();
      await closed;
      return JSON.parse(out) as RunStats;
    },
  };
}

const figures: RoundFigures[] = [];
const started = new Date();

for (const n of ROUNDS) {
  t.test(`${n} tasks launched, running, then all killed: in order, none lost, none duplicated`, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'load-tasks-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const statsFile = path.join(dir, 'run-stats.json');
    // warn: thousands of info lines through a pipe this test reads would measure the pipe.
    const { agent, exec } = await startExecutor(t, 'protobuf', {}, { MESOS_SIDECAR_LOG_LEVEL: 'warn', MESOS_SIDECAR_RUN_STATS_FILE: statsFile });
    const baseline = busyBaseline(t);
    const ids = Array.from({ length: n }, () => uniqueId(`load${n}`));
    const timeoutMs = 30_000 + n * 40;
    const running = countUpdates(agent, n, (u) => !u.duplicate && u.status.state === 'TASK_RUNNING', 'TASK_RUNNING', timeoutMs);
    const launchStart = Date.now();
    for (const id of ids) agent.launch(argvTask(id, ['sleep', '1000']));
    await running;
    const launchToAllRunningMs = Date.now() - launchStart;
    const killed = countUpdates(agent, n, (u) => !u.duplicate && u.status.state === 'TASK_KILLED', 'TASK_KILLED', timeoutMs);
    const killStart = Date.now();
    for (const id of ids) agent.kill(id, 0);
    await killed;
    const killAllMs = Date.now() - killStart;
    t.same(await exec.exited, { code: 0, signal: null }, 'the executor exits 0 once every terminal update is acknowledged');

    const byTask = new Map<string, string[]>();
    let duplicatesAfterAck = 0;
    for (const u of agent.updates) {
      if (u.duplicate) {
        duplicatesAfterAck++;
        continue;
      }
      const states = byTask.get(u.status.task_id.value) ?? [];
      states.push(u.status.state);
      byTask.set(u.status.task_id.value, states);
    }
    t.equal(duplicatesAfterAck, 0, 'no update resent after its acknowledgement');
    const wrong = ids.filter((id) => JSON.stringify(byTask.get(id)) !== JSON.stringify(ORDER));
    t.same(wrong.slice(0, 5), [], `every task went ${ORDER.join(' → ')} (${wrong.length} did not)`);

    const busy = await baseline.stop();
    const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as RunStats;
    const round: RoundFigures = {
      tasks: n,
      launchToAllRunningMs,
      killAllMs,
      eventLoopDelayP99Ms: stats.eventLoopDelayP99Ms,
      eventLoopDelayMaxMs: stats.eventLoopDelayMaxMs,
      busyProcessP99Ms: busy.eventLoopDelayP99Ms,
      maxRssMB: Math.round(stats.maxRssBytes / 1024 / 1024),
    };
    figures.push(round);
    t.comment(JSON.stringify(round));
    const added = round.eventLoopDelayP99Ms - busy.eventLoopDelayP99Ms;
    if (suiteScale() === 'full') {
      t.ok(added < P99_DELAY_BOUND_MS, `p99 event-loop delay ${round.eventLoopDelayP99Ms} ms, ${added.toFixed(1)} ms over a busy 1-ms-slice process (${busy.eventLoopDelayP99Ms} ms) < ${P99_DELAY_BOUND_MS} ms`);
    } else {
      t.ok(round.eventLoopDelayMaxMs < MAX_DELAY_BOUND_MS, `longest event-loop delay ${round.eventLoopDelayMaxMs} ms < ${MAX_DELAY_BOUND_MS} ms (p99 ${round.eventLoopDelayP99Ms} ms, asserted in make soak)`);
    }
    t.ok(stats.maxRssBytes < rssBoundBytes(n), `peak RSS ${round.maxRssMB} MB < ${Math.round(rssBoundBytes(n) / 1024 / 1024)} MB`);
  });
}

t.test('kill-all grows about linearly with the number of tasks', { skip: ROUNDS.length < 2 ? 'one round only in make test' : false }, async (t) => {
  const first = figures[0]!;
  const last = figures[figures.length - 1]!;
  const ratio = last.killAllMs / first.killAllMs;
  const linear = last.tasks / first.tasks;
  // Quadratic would be linear² (25 for 1000 → 5000); allow twice linear for noise.
  t.ok(ratio < 2 * linear, `kill-all ${first.tasks} → ${last.tasks} tasks took ${ratio.toFixed(2)}× as long (linear ${linear}×, quadratic ${linear ** 2}×)`);
  writeSuiteResult('load-tasks', started, { rounds: figures, p99DelayBoundMs: P99_DELAY_BOUND_MS });
});
