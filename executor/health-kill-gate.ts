// Whether a health check that reached its failure threshold may kill its task, or the kill
// is held (docs/checks.md, "Holding health kills"). Two reasons to hold, neither in Mesos:
//
// - debug: someone holds the task's kills while inside it (`exec --hold-checks`); the
//   hold has a principal and an end, and goes away with its session;
// - storm: more than `share` of this executor's health-checked tasks (and at least
//   `minTasks`) fail within one check interval of each other. A whole agent failing at
//   once is more likely the agent (load, network) than every task; killing them all makes
//   it worse. The storm holds kills until the share drops or `holdOffMs` has passed; after
//   the hold-off kills go ahead even if the storm goes on, until it once ends.
//
// Pure: the caller passes every clock reading and applies the verdicts (logs, metrics,
// status updates, the actual kill).
import type { mesos } from '../proto/codec.js';
import type { CheckTiming } from '../contracts/check-definitions.js';
import { HEALTH_KILL_HOLD_LABEL as HOLD_LABEL, type HealthKillHold } from '../contracts/task-view.js';

export interface KillStormSettings {
  /** Fraction of health-checked tasks (0 < share <= 1) that must be failing; 1 turns the guard off. */
  share: number;
  /** Fewest failing tasks that make a storm. */
  minTasks: number;
  holdOffMs: number;
}

export const DEFAULT_KILL_STORM: KillStormSettings = { share: 0.5, minTasks: 3, holdOffMs: 120_000 };

export type KillVerdict =
  | { kind: 'kill' }
  | { kind: 'hold'; why: 'debug'; hold: HealthKillHold }
  | { kind: 'hold'; why: 'storm'; failing: number; checked: number; untilMs: number };

export type StormChange =
  | { kind: 'started'; failing: number; checked: number; atMs: number }
  | { kind: 'lifted'; failing: number; checked: number }
  | { kind: 'expired'; failing: number; checked: number };

interface TrackedTask {
  /** How long a check that keeps failing may take to report again. */
  windowMs: number;
  healthy: boolean | undefined;
  lastReportMs: number;
  holds: Map<number, HealthKillHold>;
}

type Storm = { kind: 'calm' } | { kind: 'storm'; sinceMs: number } | { kind: 'expired' };

/**
 * The longest gap between two reports of a health check that keeps failing: its interval
 * plus the scheduler's jitter (10 %) plus a probe that runs into its timeout. Defaults as
 * in mesos.proto (interval 10 s, timeout 20 s).
 */
export function healthReportWindowMs(check: Pick<CheckTiming, 'intervalMs' | 'timeoutMs'>): number {
  return check.intervalMs * 1.1 + check.timeoutMs;
}

export class HealthKillGate {
  readonly settings: KillStormSettings;
  readonly #tasks = new Map<string, TrackedTask>();
  #storm: Storm = { kind: 'calm' };
  #nextHoldId = 0;
  /**
   * Health-checked tasks, and those of them whose last report was unhealthy however old:
   * an upper bound on the failing ones, so a calm executor decides without a scan (a
   * thousand tasks reporting must not cost a thousand steps each).
   */
  #checked = 0;
  #unhealthy = 0;

  constructor(settings: KillStormSettings = DEFAULT_KILL_STORM) {
    this.settings = settings;
  }

  /** A task whose health check started; `windowMs` from healthReportWindowMs(). */
  track(taskId: string, windowMs: number): void {
    const task = this.#tasks.get(taskId);
    if (!task) return this.#add(taskId, { windowMs, healthy: undefined, lastReportMs: 0, holds: new Map() });
    this.#uncount(task);
    task.windowMs = windowMs;
    this.#count1(task);
  }

  /** The task ended: it no longer counts, and its holds are gone. */
  forget(taskId: string): void {
    const task = this.#tasks.get(taskId);
    if (!task) return;
    this.#uncount(task);
    this.#tasks.delete(taskId);
  }

  #add(taskId: string, task: TrackedTask): void {
    this.#tasks.set(taskId, task);
    this.#count1(task);
  }

  #count1(task: TrackedTask): void {
    if (task.windowMs === 0) return;
    this.#checked++;
    if (task.healthy === false) this.#unhealthy++;
  }

  #uncount(task: TrackedTask): void {
    if (task.windowMs === 0) return;
    this.#checked--;
    if (task.healthy === false) this.#unhealthy--;
  }

  /** Returns the hold's id for removeHold(); a task not tracked yet is tracked with no checks. */
  addHold(taskId: string, hold: HealthKillHold): number {
    let task = this.#tasks.get(taskId);
    if (!task) {
      task = { windowMs: 0, healthy: undefined, lastReportMs: 0, holds: new Map() };
      this.#add(taskId, task);
    }
    const id = ++this.#nextHoldId;
    task.holds.set(id, hold);
    return id;
  }

  /** True when that was the task's last hold: counting restarts from zero then. */
  removeHold(taskId: string, id: number): boolean {
    const task = this.#tasks.get(taskId);
    if (!task || !task.holds.delete(id)) return false;
    return task.holds.size === 0;
  }

  /** The hold that ends last among those still running at `nowMs`. */
  activeHold(taskId: string, nowMs: number): HealthKillHold | undefined {
    let latest: HealthKillHold | undefined;
    for (const hold of this.#tasks.get(taskId)?.holds.values() ?? []) {
      if (hold.untilMs > nowMs && (!latest || hold.untilMs > latest.untilMs)) latest = hold;
    }
    return latest;
  }

  /** Records a health verdict (every reported one, kill or not) and says whether a storm began or ended. */
  onHealth(taskId: string, healthy: boolean, nowMs: number): StormChange | undefined {
    const task = this.#tasks.get(taskId);
    if (task) {
      this.#uncount(task);
      task.healthy = healthy;
      task.lastReportMs = nowMs;
      this.#count1(task);
    }
    return this.#evaluate(nowMs);
  }

  /** A health check reached its threshold: kill, or hold and why. Call after onHealth(). */
  decideKill(taskId: string, nowMs: number): KillVerdict {
    const hold = this.activeHold(taskId, nowMs);
    if (hold) return { kind: 'hold', why: 'debug', hold };
    if (this.#storm.kind === 'storm') {
      const { failing, checked } = this.#count(nowMs);
      return { kind: 'hold', why: 'storm', failing, checked, untilMs: this.#storm.sinceMs + this.settings.holdOffMs };
    }
    return { kind: 'kill' };
  }

  /** Health-checked tasks, and those whose last report (within their window) was unhealthy. */
  #count(nowMs: number): { failing: number; checked: number } {
    let failing = 0;
    let checked = 0;
    for (const task of this.#tasks.values()) {
      if (task.windowMs === 0) continue;
      checked++;
      if (task.healthy === false && nowMs - task.lastReportMs <= task.windowMs) failing++;
    }
    return { failing, checked };
  }

  #evaluate(nowMs: number): StormChange | undefined {
    const { share, minTasks, holdOffMs } = this.settings;
    if (this.#storm.kind === 'calm' && (this.#unhealthy < minTasks || this.#unhealthy <= share * this.#checked)) return undefined;
    const { failing, checked } = this.#count(nowMs);
    const storming = failing >= minTasks && failing > share * checked;
    switch (this.#storm.kind) {
      case 'calm':
        if (!storming) return undefined;
        this.#storm = { kind: 'storm', sinceMs: nowMs };
        return { kind: 'started', failing, checked, atMs: nowMs };
      case 'storm':
        if (!storming) {
          this.#storm = { kind: 'calm' };
          return { kind: 'lifted', failing, checked };
        }
        if (nowMs - this.#storm.sinceMs >= holdOffMs) {
          this.#storm = { kind: 'expired' };
          return { kind: 'expired', failing, checked };
        }
        return undefined;
      case 'expired':
        // Re-armed only once the storm is over: an agent that stays broken must not hold
        // kills forever by flapping between two failing reports.
        if (!storming) this.#storm = { kind: 'calm' };
        return undefined;
    }
  }
}

/** `labels` with HOLD_LABEL set to the hold's end, or removed without a hold. */
export function withHoldLabel(labels: mesos.Labels | undefined, hold: HealthKillHold | undefined): mesos.Labels | undefined {
  const kept = (labels?.labels ?? []).filter((l) => l.key !== HOLD_LABEL);
  if (hold) kept.push({ key: HOLD_LABEL, value: new Date(hold.untilMs).toISOString() });
  return kept.length > 0 || labels ? { labels: kept } : undefined;
}

/** What the update that would have killed says instead. */
export function describeHeldKill(verdict: Exclude<KillVerdict, { kind: 'kill' }>, settings: KillStormSettings): string {
  if (verdict.why === 'debug') return `kill held by ${verdict.hold.principal} until ${new Date(verdict.hold.untilMs).toISOString()} (exec --hold-checks)`;
  return (
    `kill held: ${verdict.failing} of ${verdict.checked} health-checked tasks of this executor failed together ` +
    `(kill-storm guard: more than ${Math.round(settings.share * 100)}% and at least ${settings.minTasks}); ` +
    `kills resume when fewer fail or at ${new Date(verdict.untilMs).toISOString()}`
  );
}
