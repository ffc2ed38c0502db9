// The executor's tasks: by task id and by container id, which of them still live, and which
// terminated ones may be forgotten. A long-lived executor runs many tasks over time, so it
// keeps only the most recent terminated ones (the switchboard may still ask for their exit
// status) and forgets the oldest whose terminal update is acknowledged. Every operation is
// O(1) per task: kill-all of thousands of tasks was quadratic while this scanned them all.
// Bookkeeping only: the executor sends the updates and forgets the rest of a task's state.

export interface TableTask {
  readonly taskId: string;
  readonly containerId: { readonly value: string };
}

export class TaskTable<T extends TableTask> {
  readonly #byId = new Map<string, T>();
  readonly #byContainer = new Map<string, T>();
  /** Tasks not yet terminated: exit and shutdown decisions without scanning every task. */
  readonly #live = new Set<T>();
  /** Terminated tasks whose terminal update is acknowledged, oldest first: may be forgotten. */
  readonly #prunable = new Set<T>();
  /** Some task was ever added: from then on, no live task means the executor may go. */
  #everAdded = false;

  /** `kept`: how many terminated tasks to remember at least (TERMINATED_TASKS_KEPT). */
  constructor(readonly kept: number) {}

  /** A task registered at launch; `live` false for one refused at the edge (already terminated). */
  add(task: T, live: boolean): void {
    if (this.#byId.has(task.taskId)) throw new Error(`task ${task.taskId} is already in the table`);
    this.#byId.set(task.taskId, task);
    this.#byContainer.set(task.containerId.value, task);
    this.#everAdded = true;
    if (live) this.#live.add(task);
  }

  get(taskId: string): T | undefined {
    return this.#byId.get(taskId);
  }

  has(taskId: string): boolean {
    return this.#byId.has(taskId);
  }

  byContainer(containerId: string): T | undefined {
    return this.#byContainer.get(containerId);
  }

  /** Every task still remembered, live or terminated, in launch order. */
  all(): IterableIterator<T> {
    return this.#byId.values();
  }

  /** Tasks not yet terminated, in launch order. */
  live(): ReadonlySet<T> {
    return this.#live;
  }

  get everAdded(): boolean {
    return this.#everAdded;
  }

  get terminatedCount(): number {
    return this.#byId.size - this.#live.size;
  }

  /** The task sent its terminal update. */
  terminated(task: T): void {
    this.#live.delete(task);
  }

  /** The terminal update of a terminated task is acknowledged, none other outstanding: it may go. */
  mayForget(task: T): void {
    if (this.#byId.get(task.taskId) === task && !this.#live.has(task)) this.#prunable.add(task);
  }

  /**
   * Forgets the oldest forgettable tasks while more than `kept` terminated ones are
   * remembered; returns them, oldest first, for the executor to drop the rest of their state.
   */
  forgetOld(): T[] {
    const forgotten: T[] = [];
    for (const old of this.#prunable) {
      if (this.terminatedCount <= this.kept) break;
      this.#prunable.delete(old);
      this.#byId.delete(old.taskId);
      this.#byContainer.delete(old.containerId.value);
      forgotten.push(old);
    }
    return forgotten;
  }
}
