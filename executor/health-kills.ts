// The effects around HealthKillGate for the executor: timers that end debug holds, the one
// warning per kill storm, the metrics, the hold label on status updates. The decisions
// themselves are the gate's.
import type { Clock, TimerHandle } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { mesos } from '../proto/codec.js';
import type { CheckTiming } from '../contracts/check-definitions.js';
import type { HealthKillMetrics, HealthReport } from '../contracts/checks.js';
import type { HealthKillHold } from '../contracts/task-view.js';
import { describeHeldKill, HealthKillGate, healthReportWindowMs, withHoldLabel, type KillStormSettings, type StormChange } from './health-kill-gate.js';

export interface HealthKillsOptions {
  settings: KillStormSettings;
  clock: Clock;
  logger: Logger;
  /** The checks engine's counters, once it has loaded. */
  metrics: () => HealthKillMetrics | undefined;
}

export interface HealthVerdict {
  /** The report's message, with why the kill was held when it was. */
  message: string;
  kill: boolean;
  /** The kill was held: the task's failure count must start over. */
  held: boolean;
}

export class HealthKills {
  readonly #gate: HealthKillGate;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #metrics: () => HealthKillMetrics | undefined;
  /** Per task, the timer that ends each of its holds. */
  readonly #timers = new Map<string, Map<number, TimerHandle>>();

  constructor(options: HealthKillsOptions) {
    this.#gate = new HealthKillGate(options.settings);
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#metrics = options.metrics;
  }

  /** A task whose health check runs from now on. */
  track(taskId: string, check: CheckTiming): void {
    this.#gate.track(taskId, healthReportWindowMs(check));
  }

  forget(taskId: string): void {
    this.#gate.forget(taskId);
    for (const timer of this.#timers.get(taskId)?.values() ?? []) this.#clock.clearTimeout(timer);
    this.#timers.delete(taskId);
  }

  /**
   * Holds the task's health kills until `hold.untilMs` or the release; `onLastEnd` runs
   * when the task's last hold ends (its failure count starts over then).
   */
  hold(taskId: string, hold: HealthKillHold, onLastEnd: () => void): () => void {
    const id = this.#gate.addHold(taskId, hold);
    const until = new Date(hold.untilMs).toISOString();
    this.#log.info({ task_id: taskId, principal: hold.principal, until }, 'health kills held');
    let timers = this.#timers.get(taskId);
    if (!timers) this.#timers.set(taskId, (timers = new Map()));
    const end = (why: string): void => {
      const t = this.#timers.get(taskId);
      if (!t?.has(id)) return;
      this.#clock.clearTimeout(t.get(id));
      t.delete(id);
      const last = this.#gate.removeHold(taskId, id);
      this.#log.info({ task_id: taskId, principal: hold.principal, until, why }, last ? 'health kill hold ended; failures count from zero' : 'health kill hold ended; another hold remains');
      if (last) onLastEnd();
    };
    timers.set(id, this.#clock.setTimeout(() => end('its end was reached'), Math.max(0, hold.untilMs - this.#clock.now())));
    return () => end('released (its session ended)');
  }

  onHealth(taskId: string, report: HealthReport): HealthVerdict {
    const now = this.#clock.now();
    const change = this.#gate.onHealth(taskId, report.healthy, now);
    if (change) this.#onStormChange(change);
    if (!report.kill) return { message: report.message, kill: false, held: false };
    const verdict = this.#gate.decideKill(taskId, now);
    if (verdict.kind === 'kill') return { message: report.message, kill: true, held: false };
    this.#metrics()?.killHeld(verdict.why);
    const why = describeHeldKill(verdict, this.#gate.settings);
    // One warning per storm (at its start), not one per task; a debug hold is expected.
    this.#log.info({ task_id: taskId, why: verdict.why }, `health kill held: ${why}`);
    return { message: `${report.message}; ${why}`, kill: false, held: true };
  }

  /** The status labels with the hold's end while one lasts. */
  labels(taskId: string, labels: mesos.Labels | undefined): mesos.Labels | undefined {
    return withHoldLabel(labels, this.#gate.activeHold(taskId, this.#clock.now()));
  }

  #onStormChange(change: StormChange): void {
    const { failing, checked } = change;
    switch (change.kind) {
      case 'started':
        this.#metrics()?.stormDetected();
        this.#log.warn({ failing, checked, ...this.#gate.settings }, `${failing} of ${checked} health-checked tasks failing together: suspecting this agent, not the tasks; health kills held`);
        return;
      case 'lifted':
        this.#log.info({ failing, checked }, 'kill storm over: health kills resume');
        return;
      case 'expired':
        this.#log.warn({ failing, checked, holdOffMs: this.#gate.settings.holdOffMs }, 'kill storm outlasted its hold-off: health kills resume');
        return;
    }
  }
}
