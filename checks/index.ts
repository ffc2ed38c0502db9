// The TaskCheckFactory the executor uses (contracts/checks.ts): parses a task's check
// definitions at launch and, right before TASK_RUNNING, starts its health check,
// general check and readiness check on the executor-wide scheduler, turning outcomes into
// reportHealth / reportCheck / reportReadiness calls.
import type { ParsedTaskChecks, TaskCheckContext, TaskCheckFactory, TaskCheckRunner } from '../contracts/checks.js';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { mesos } from '../proto/codec.js';
import { CheckDefinitionError, ReadinessLabelError } from './errors.js';
import { parseTaskChecks, type GeneralCheckDefinition, type HealthCheckDefinition, type ReadinessCheckDefinition, type TaskCheckDefinitions } from './definitions.js';
import { CheckScheduler, type ProbeRun, type ScheduledCheck } from './scheduler.js';
import { runProbe, type ProbeContext } from './probe.js';
import { HealthInterpreter } from './health.js';
import { GeneralCheckReporter } from './general.js';
import { READINESS_BODY_BYTES, ReadinessInterpreter } from './readiness.js';
import { CheckHistory, describeHealthKill } from './results.js';
import type { Registry } from 'prom-client';
import { CheckMetrics, type ProbeSeries } from './metrics.js';
import { describeOutcome, type ProbeOutcome } from './outcome.js';

export { CheckMetrics } from './metrics.js';
export { READINESS_CHECK_LABEL } from './definitions.js';
export { READINESS_LABELS } from './readiness.js';
export { CheckScheduler } from './scheduler.js';

export interface TaskCheckFactoryOptions {
  /** Shared by every task; created on first use from `clock` (else the task context's clock). */
  scheduler?: CheckScheduler;
  clock?: Clock;
  random?: () => number;
  /** Probes in flight per executor; more due probes wait their turn. */
  maxInFlight?: number;
  /** Default: a CheckMetrics on `registry`. */
  metrics?: CheckMetrics;
  /** Runs kept per check for explanations. */
  historySize?: number;
  /** Performs probes; tests swap in a fake, as kubelet's prober tests do. */
  probe?: typeof runProbe;
  /** The executor's metrics registry (metrics/endpoint.ts serves it); default: one of their own. */
  registry?: Registry;
}

export interface SidecarTaskCheckFactory extends TaskCheckFactory {
  readonly metrics: CheckMetrics;
  /** The scheduler, once a task has created it. */
  readonly scheduler: CheckScheduler | undefined;
  create(definitions: TaskCheckDefinitions, context: TaskCheckContext): TaskChecks | undefined;
}

export function createTaskCheckFactory(options: TaskCheckFactoryOptions = {}): SidecarTaskCheckFactory {
  const metrics = options.metrics ?? new CheckMetrics(options.registry);
  let scheduler = options.scheduler;
  const schedulerFor = (clock: Clock): CheckScheduler => {
    scheduler ??= new CheckScheduler({
      clock: options.clock ?? clock,
      ...(options.random ? { random: options.random } : {}),
      ...(options.maxInFlight ? { maxInFlight: options.maxInFlight } : {}),
      onStart: (lateMs) => metrics.lateness.observe(lateMs / 1000),
    });
    return scheduler;
  };
  return {
    metrics,
    healthKillMetrics: {
      killHeld: (why) => metrics.healthKillsHeld.inc({ why }),
      stormDetected: () => metrics.killStorms.inc(),
    },
    get scheduler() {
      return scheduler;
    },
    parse(task: mesos.TaskInfo): ParsedTaskChecks {
      try {
        return { ok: true, definitions: parseTaskChecks(task) };
      } catch (err) {
        if (err instanceof CheckDefinitionError || err instanceof ReadinessLabelError) return { ok: false, field: err.field, message: err.message };
        throw err;
      }
    },
    create(definitions: TaskCheckDefinitions, context: TaskCheckContext): TaskChecks | undefined {
      if (!definitions.health && !definitions.check && !definitions.readiness) return undefined;
      return new TaskChecks(context, definitions, schedulerFor(context.clock), metrics, options.historySize ?? 10, options.probe ?? runProbe);
    },
  };
}

type RunnerState = 'active' | 'paused' | 'stopped';

/**
 * A check's log lines: the task's logger with the check's fields on each line. Not a pino
 * child: a child costs about 1 KB, and a steady check writes a line or two in its life
 * (changes of verdict), so 10,000 tasks held 10 MB of children that hardly wrote.
 */
class CheckLog {
  constructor(
    readonly logger: Logger,
    readonly fields: Readonly<Record<string, string>>,
  ) {}
  info(obj: object, msg: string): void {
    if (this.logger.isLevelEnabled('info')) this.logger.info({ ...this.fields, ...obj }, msg);
  }
  warn(obj: object, msg: string): void {
    if (this.logger.isLevelEnabled('warn')) this.logger.warn({ ...this.fields, ...obj }, msg);
  }
  error(obj: object, msg: string): void {
    this.logger.error({ ...this.fields, ...obj }, msg);
  }
  debug(obj: object, msg: string): void {
    if (this.logger.isLevelEnabled('debug')) this.logger.debug({ ...this.fields, ...obj }, msg);
  }
}

/** An outcome handler whose failure (e.g. in a report callback) is logged, not thrown. */
function guarded(log: CheckLog, handle: (outcome: ProbeOutcome, run: ProbeRun) => void): (outcome: ProbeOutcome, run: ProbeRun) => void {
  return (outcome, run) => {
    try {
      handle(outcome, run);
    } catch (err) {
      log.error({ err }, 'handling a check outcome failed');
    }
  };
}

/** All checks of one task. */
export class TaskChecks implements TaskCheckRunner {
  #state: RunnerState = 'active';
  readonly #context: TaskCheckContext;
  readonly #scheduler: CheckScheduler;
  readonly #metrics: CheckMetrics;
  readonly #taskId: string;
  readonly #probeContext: ProbeContext;
  readonly #runProbe: typeof runProbe;
  #healthEntry: ScheduledCheck | undefined;
  #checkEntry: ScheduledCheck | undefined;
  #readinessEntry: ScheduledCheck | undefined;
  /** Set once a health report asked for the kill; health probing never resumes then. */
  #killMessage: string | undefined;
  #health: HealthInterpreter | undefined;
  #readinessDone = false;
  readonly healthHistory: CheckHistory;
  readonly checkHistory: CheckHistory;
  readonly readinessHistory: CheckHistory;

  constructor(context: TaskCheckContext, defs: TaskCheckDefinitions, scheduler: CheckScheduler, metrics: CheckMetrics, historySize: number, probe: typeof runProbe) {
    this.#context = context;
    this.#runProbe = probe;
    this.#scheduler = scheduler;
    this.#metrics = metrics;
    this.#taskId = context.taskId;
    this.healthHistory = new CheckHistory(historySize);
    this.checkHistory = new CheckHistory(historySize);
    this.readinessHistory = new CheckHistory(historySize);
    this.#probeContext = {
      environment: context.environment,
      workingDirectory: context.workingDirectory,
      ...(context.user !== undefined ? { user: context.user } : {}),
      ...(context.container ? { container: context.container } : {}),
      clock: scheduler.clock,
    };
    const t0 = scheduler.clock.now();
    if (defs.health) this.#startHealth(defs.health, t0);
    if (defs.check) this.#startCheck(defs.check);
    if (defs.readiness) this.#startReadiness(defs.readiness);
  }

  #observe(series: ProbeSeries, outcome: ProbeOutcome, run: ProbeRun, history: CheckHistory, log: CheckLog): void {
    history.add(outcome, run);
    series.observe(outcome.kind, run.latencyMs);
    // Once per probe, ten thousand a second: nothing allocated unless debug is on.
    if (log.logger.isLevelEnabled('debug')) log.debug({ outcome: outcome.kind, cause: describeOutcome(outcome), latency_ms: run.latencyMs, late_ms: run.lateMs }, 'probe finished');
  }

  #startHealth(def: HealthCheckDefinition, t0: number): void {
    const log = new CheckLog(this.#context.logger, { task_id: this.#taskId, check: 'health', type: def.probe.type });
    const series = this.#metrics.probeSeries(this.#taskId, 'health', def.probe.type);
    const health = new HealthInterpreter(def, t0);
    this.#health = health;
    const what = `${def.probe.type} health check`;
    const entry = this.#scheduler.add(
      {
        run: (signal) => this.#runProbe(def.probe, signal, this.#probeContext),
        onOutcome: guarded(log, (outcome, run) => {
          this.#observe(series, outcome, run, this.healthHistory, log);
          const decision = health.onOutcome(outcome, run.endedAt);
          if (!decision.report) {
            if (decision.why === 'grace') log.info({ cause: describeOutcome(outcome) }, 'health check failure ignored: inside the grace period');
            return;
          }
          series.observeVerdict(decision.healthy ? 'healthy' : 'unhealthy');
          if (decision.healthy) log.info({ cause: describeOutcome(outcome) }, decision.message);
          else log.warn({ cause: describeOutcome(outcome), failures: decision.failures, output: this.healthHistory.last()?.outputTail }, decision.message);
          if (decision.kill) this.#killMessage = describeHealthKill(what, decision.failures, def.consecutiveFailures, this.healthHistory);
          try {
            this.#context.reportHealth({ healthy: decision.healthy, kill: decision.kill, message: decision.message });
          } finally {
            // No check or health update may follow the kill: stop probing, unless the
            // executor held the kill during the report (resetHealthFailures() cleared it).
            if (decision.kill && this.#killMessage !== undefined) this.pause();
          }
        }),
      },
      def,
    );
    this.#healthEntry = entry;
  }

  #startCheck(def: GeneralCheckDefinition): void {
    const log = new CheckLog(this.#context.logger, { task_id: this.#taskId, check: 'check', type: def.probe.type });
    const series = this.#metrics.probeSeries(this.#taskId, 'check', def.probe.type);
    const reporter = new GeneralCheckReporter(def.probe.type);
    const entry = this.#scheduler.add(
      {
        run: (signal) => this.#runProbe(def.probe, signal, this.#probeContext),
        onOutcome: guarded(log, (outcome, run) => {
          this.#observe(series, outcome, run, this.checkHistory, log);
          const status = reporter.onOutcome(outcome);
          if (!status) return;
          const message = `${def.probe.type} check ${outcome.kind === 'result' ? 'result' : 'has no result'}: ${describeOutcome(outcome)}`;
          log.info({ check_status: status }, message);
          this.#context.reportCheck(status, message);
        }),
      },
      def,
    );
    this.#checkEntry = entry;
  }

  #startReadiness(def: ReadinessCheckDefinition): void {
    const log = new CheckLog(this.#context.logger, { task_id: this.#taskId, check: 'readiness', readiness: def.name, type: def.probe.type });
    const series = this.#metrics.probeSeries(this.#taskId, 'readiness', def.probe.type);
    const readiness = new ReadinessInterpreter(def);
    const probeContext: ProbeContext = {
      ...this.#probeContext,
      // Marathon: headers within timeoutSeconds, the body within a further timeoutSeconds.
      headersTimeoutMs: def.timeoutMs,
      ...(def.preserveLastResponse ? { captureBodyBytes: READINESS_BODY_BYTES } : {}),
    };
    const hardTimeout = def.probe.type === 'HTTP' ? 2 * def.timeoutMs : def.timeoutMs;
    let entry: ScheduledCheck | undefined = undefined;
    entry = this.#scheduler.add(
      {
        run: (signal) => this.#runProbe(def.probe, signal, probeContext),
        onOutcome: guarded(log, (outcome, run) => {
          this.#observe(series, outcome, run, this.readinessHistory, log);
          const decision = readiness.onOutcome(outcome);
          series.observeVerdict(decision.ready ? 'ready' : 'not_ready');
          if (decision.ready) {
            // The first ready result is final for the task's lifetime: no more probes.
            this.#readinessDone = true;
            entry?.stop();
          }
          if (!decision.report) return;
          log.info({}, decision.message);
          this.#context.reportReadiness(decision.labels, decision.message);
        }),
      },
      { delayMs: 0, intervalMs: def.intervalMs, timeoutMs: hardTimeout },
      { immediate: true },
    );
    this.#readinessEntry = entry;
  }

  get state(): RunnerState {
    return this.#state;
  }

  pause(): void {
    if (this.#state !== 'active') return;
    this.#state = 'paused';
    this.#healthEntry?.pause();
    this.#checkEntry?.pause();
    this.#readinessEntry?.pause();
  }

  resume(): void {
    if (this.#state !== 'paused') return;
    this.#state = 'active';
    if (this.#killMessage === undefined) this.#healthEntry?.resume();
    this.#checkEntry?.resume();
    if (!this.#readinessDone) this.#readinessEntry?.resume();
  }

  stop(): void {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    this.#healthEntry?.stop();
    this.#checkEntry?.stop();
    this.#readinessEntry?.stop();
    this.#metrics.forgetTask(this.#taskId);
  }

  resetHealthFailures(): void {
    this.#health?.resetFailures();
    this.#killMessage = undefined;
  }

  describeKill(): string {
    if (this.#killMessage !== undefined) return this.#killMessage;
    const last = this.healthHistory.last();
    return last ? `last health check: ${last.cause}` : '';
  }
}
