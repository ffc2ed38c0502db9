// What isolation costs (issue 10), in one run: LAUNCH -> TASK_RUNNING through an executor
// with MESOS_SIDECAR_ISOLATION=namespaces,cgroups, through one with =none, and a direct
// spawn of the same command, one launch of each in turn so that machine noise hits all
// three alike; the same comparison on Containerizer.launch() itself (in this process, a
// cgroup root of its own), which checks the executor figures against the module they
// come from; and the executor's RSS with many isolated tasks running. Each executor's
// TASK_RUNNING carries the label mesos-sidecar.isolation: the result records what it said,
// so a run whose executor did not isolate is visible as such.
// Targets: isolation adds < 10 ms p50; RSS < 64 MiB with 100 isolated tasks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AgentEmulator, ReceivedUpdate } from '../../agent/emulator.js';
import type { Logger } from '../../common/logger.js';
import { Containerizer } from '../../containerizer/containerizer.js';
import { chooseIsolation, describe, ISOLATION_VARIABLE, probeIsolationFacts, type Isolation } from '../../containerizer/isolation.js';
import { ISOLATION_LABEL } from '../../contracts/task-view.js';
import { ms, percentile, summarize, type LatencySummary } from '../stats.js';
import { directSpawnMs, rssMiB, SLEEP, task, TRUE, withExecutor } from './harness.js';

export interface IsolationBenchOptions {
  launches?: number;
  warmup?: number;
  manyTasks?: number;
  encoding?: 'json' | 'protobuf';
}

export interface IsolationBenchResult {
  command: string;
  /** What the isolated executor is asked for, and whether this machine allows it. */
  isolation: string;
  available: boolean;
  reason: string;
  launchToRunning: {
    isolated: LatencySummary;
    none: LatencySummary;
    directSpawn: LatencySummary;
    overheadP50Ms: number;
    overheadP99Ms: number;
    targetOverheadP50Ms: number;
    met: boolean;
    /** The mesos-sidecar.isolation label on each executor's TASK_RUNNING (null: none sent). */
    reported: { isolated: string | null; none: string | null };
  };
  /** `isolated` and the overhead are null where this machine cannot isolate. */
  containerizerLaunch: {
    isolated: LatencySummary | null;
    none: LatencySummary;
    overheadP50Ms: number | null;
  };
  rss: {
    tasks: number;
    executorMiB: number;
    reported: string | null;
    targetMiB: number;
    met: boolean;
  };
}

const ISOLATED: Isolation = { namespaces: true, cgroups: true };

/** Milliseconds from LAUNCH to TASK_RUNNING, and the isolation label that update carried. */
async function launchToRunning(emulator: AgentEmulator, id: string, command = TRUE.command): Promise<{ ms: number; reported: string | null }> {
  const t0 = performance.now();
  const running = new Promise<{ ms: number; reported: string | null }>((resolve) => {
    const onUpdate = (u: ReceivedUpdate): void => {
      if (u.duplicate || u.status.task_id.value !== id || u.status.state !== 'TASK_RUNNING') return;
      const at = performance.now();
      emulator.off('update', onUpdate);
      resolve({ ms: at - t0, reported: u.status.labels?.labels?.find((l) => l.key === ISOLATION_LABEL)?.value ?? null });
    };
    emulator.on('update', onUpdate);
  });
  const terminal = command === TRUE.command ? emulator.waitForTerminal(id) : undefined;
  emulator.launch(task(id, command));
  const result = await running;
  await terminal;
  return result;
}

/** An anchor task keeps each executor alive between the short launches. */
async function anchored(emulator: AgentEmulator): Promise<void> {
  await launchToRunning(emulator, 'anchor', SLEEP);
}

async function containerizerLaunchMs(c: Containerizer, id: string): Promise<number> {
  const t0 = performance.now();
  const ctr = await c.launch({ id, file: TRUE.argv[0]!, args: [], argv0: 'true', env: {}, cwd: '/tmp', io: { type: 'fds', stdout: 'ignore', stderr: 'ignore' }, resources: { cpus: 0.1, mem: 32, limits: {} } });
  const t1 = performance.now();
  await ctr.wait();
  return t1 - t0;
}

export async function benchIsolation(options: IsolationBenchOptions, logger: Logger): Promise<IsolationBenchResult> {
  const launches = options.launches ?? 200;
  const warmup = options.warmup ?? 10;
  const many = options.manyTasks ?? 100;
  const { facts, hierarchy } = await probeIsolationFacts();
  const choice = chooseIsolation(facts, { mode: 'fixed', isolation: ISOLATED });
  const available = choice.namespaces && choice.cgroups && hierarchy !== undefined;
  const isolatedEnv = { [ISOLATION_VARIABLE]: describe(ISOLATED) };
  const noneEnv = { [ISOLATION_VARIABLE]: 'none' };

  const isolated: number[] = [];
  const none: number[] = [];
  const direct: number[] = [];
  const reported = { isolated: null as string | null, none: null as string | null };
  await withExecutor(options, logger, async (isoAgent) => {
    await withExecutor(options, logger, async (noneAgent) => {
      await anchored(isoAgent);
      await anchored(noneAgent);
      for (let i = 0; i < warmup + launches; i++) {
        const a = await launchToRunning(isoAgent, `iso-${i}`);
        const b = await launchToRunning(noneAgent, `none-${i}`);
        const d = await directSpawnMs(TRUE.argv);
        if (i < warmup) continue;
        isolated.push(a.ms);
        none.push(b.ms);
        direct.push(d);
        [reported.isolated, reported.none] = [a.reported, b.reported];
      }
    }, noneEnv);
  }, isolatedEnv);

  // The module itself, in this process: the same three-way alternation minus the executor.
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-isolation-'));
  const ctrIsolated: number[] = [];
  const ctrNone: number[] = [];
  const plain = new Containerizer({ isolation: { namespaces: false, cgroups: false }, runtimeDir: path.join(dir, 'none') });
  const real = available ? new Containerizer({ isolation: choice, hierarchy: hierarchy!, cgroupRoot: `mesos-sidecar-bench-${process.pid}`, runtimeDir: path.join(dir, 'run') }) : undefined;
  try {
    for (let i = 0; i < warmup + launches; i++) {
      const a = real && (await containerizerLaunchMs(real, `iso-${i}`));
      const b = await containerizerLaunchMs(plain, `none-${i}`);
      if (i < warmup) continue;
      if (a !== undefined) ctrIsolated.push(a);
      ctrNone.push(b);
    }
  } finally {
    await real?.shutdown();
    await plain.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }

  const rss = await withExecutor(options, logger, async (emulator, exec) => {
    let label: string | null = null;
    for (let i = 0; i < many; i++) label = (await launchToRunning(emulator, `rss-${i}`, SLEEP)).reported;
    return { executorMiB: rssMiB(exec.pid), reported: label };
  }, isolatedEnv);

  const overheadP50Ms = ms(percentile(isolated, 50) - percentile(none, 50));
  return {
    command: TRUE.argv.join(' '),
    isolation: describe(ISOLATED),
    available,
    reason: choice.reason,
    launchToRunning: {
      isolated: summarize(isolated),
      none: summarize(none),
      directSpawn: summarize(direct),
      overheadP50Ms,
      overheadP99Ms: ms(percentile(isolated, 99) - percentile(none, 99)),
      targetOverheadP50Ms: 10,
      // Met only when the executor said it isolated: otherwise both rows timed the same path.
      met: reported.isolated === describe(ISOLATED) && overheadP50Ms < 10,
      reported,
    },
    containerizerLaunch: {
      isolated: real ? summarize(ctrIsolated) : null,
      none: summarize(ctrNone),
      overheadP50Ms: real ? ms(percentile(ctrIsolated, 50) - percentile(ctrNone, 50)) : null,
    },
    rss: { tasks: many, executorMiB: rss.executorMiB, reported: rss.reported, targetMiB: 64, met: rss.reported === describe(ISOLATED) && rss.executorMiB < 64 },
  };
}
