// The seam between the executor (which owns tasks and status updates) and checks/ (which
// probes). checks/ implements TaskCheckFactory; the executor calls it and turns reports
// into status updates as Mesos' executors do (shared/spec/checks.md §7).
import type { Logger } from '../common/logger.js';
import type { Clock } from '../common/clock.js';
import type { mesos } from '../proto/codec.js';
import type { Container, Containerizer } from '../containerizer/containerizer.js';
import type { TaskCheckDefinitions } from './check-definitions.js';

export type { TaskCheckDefinitions } from './check-definitions.js';

export interface HealthReport {
  healthy: boolean;
  /** Consecutive failures reached the threshold: the executor must kill the task. */
  kill: boolean;
  /** Human-readable cause, e.g. "HTTP health check failed 2 of 3: status 503". */
  message: string;
}

export interface TaskCheckContext {
  taskId: string;
  /** Environment, working directory and user the task itself was started with. */
  environment: Record<string, string>;
  workingDirectory: string;
  user?: string;
  /**
   * The task's container: COMMAND checks run as containers nested in it (its namespaces
   * and cgroup, so their cost is charged to the task), as Mesos runs them. Absent: they
   * run as plain children of the executor.
   */
  container?: { containerizer: Containerizer; parent: Container };
  logger: Logger;
  clock: Clock;
  reportHealth(report: HealthReport): void;
  /** A general check result that differs from the previous one. */
  reportCheck(status: mesos.CheckStatusInfo, message: string): void;
  /** A readiness result to publish in TaskStatus.labels (keys documented in docs/checks.md). */
  reportReadiness(labels: mesos.Label[], message: string): void;
}

export interface TaskCheckRunner {
  /** No new probes; results that land while paused are discarded. */
  pause(): void;
  /** Probe at once, then continue on the normal interval. */
  resume(): void;
  /** Final: cancel timers, abort probes in flight, kill command-check processes. */
  stop(): void;
  /** For the terminal update's message after a health kill: which check, failures, last output. */
  describeKill(): string;
  /**
   * Consecutive health failures count from zero again. Called during a report whose kill
   * the executor held (health probing then goes on instead of stopping) and when a hold ends.
   */
  resetHealthFailures(): void;
}

/** Counters for held health kills, on the checks engine's metrics registry. */
export interface HealthKillMetrics {
  killHeld(why: 'debug' | 'storm'): void;
  stormDetected(): void;
}

/** A task's checks parsed at the edge, or the refusal naming the TaskInfo field at fault. */
export type ParsedTaskChecks =
  | { ok: true; definitions: TaskCheckDefinitions }
  /** `field` e.g. `TaskInfo.health_check.http.port`; `message` names it and the bad value. */
  | { ok: false; field: string; message: string };

export interface TaskCheckFactory {
  /** Called once per TaskInfo, at launch; nothing reads the TaskInfo for checks after it. */
  parse(task: mesos.TaskInfo): ParsedTaskChecks;
  /** undefined when the definitions hold no check. Called right before TASK_RUNNING. */
  create(definitions: TaskCheckDefinitions, context: TaskCheckContext): TaskCheckRunner | undefined;
  readonly healthKillMetrics?: HealthKillMetrics;
}
