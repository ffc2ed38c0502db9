// The default executor's task groups: who belongs to which LAUNCH_GROUP, which group is
// already being taken down (so a cascade of terminal updates kills it once), and which
// group lost a member to its health check (its later kills report healthy: false).
// Bookkeeping only: the executor does the killing.

export interface GroupMember {
  readonly groupId: number | undefined;
  readonly live: boolean;
}

export class TaskGroups<T extends GroupMember> {
  readonly #members = new Map<number, Set<T>>();
  /** Groups being taken down. */
  readonly #killing = new Set<number>();
  /** Groups where a member was killed by its health check (checks.md §8 [Decision]). */
  readonly #unhealthy = new Set<number>();
  #nextId = 1;

  /** A fresh id for the tasks of one LAUNCH_GROUP. */
  newGroup(): number {
    return this.#nextId++;
  }

  add(task: T): void {
    if (task.groupId === undefined) return;
    let members = this.#members.get(task.groupId);
    if (!members) this.#members.set(task.groupId, (members = new Set()));
    members.add(task);
  }

  /**
   * Starts taking `cause`'s group down: returns the live siblings to kill, or an empty list
   * when the task has no group or its group is already going.
   */
  beginKill(cause: T, healthKill: boolean): T[] {
    const groupId = cause.groupId;
    if (groupId === undefined || this.#killing.has(groupId)) return [];
    this.#killing.add(groupId);
    if (healthKill) this.#unhealthy.add(groupId);
    return [...(this.#members.get(groupId) ?? [])].filter((t) => t !== cause && t.live);
  }

  unhealthy(task: T): boolean {
    return task.groupId !== undefined && this.#unhealthy.has(task.groupId);
  }

  /** A member refused or failed at launch, among `tasks` (one LAUNCH_GROUP's). */
  findEnded(tasks: Iterable<T | undefined>, groupId: number): T | undefined {
    for (const t of tasks) if (t?.groupId === groupId && !t.live) return t;
    return undefined;
  }

  /** A forgotten task leaves its group; the last one out takes the group's flags along. */
  forget(task: T): void {
    if (task.groupId === undefined) return;
    const members = this.#members.get(task.groupId);
    members?.delete(task);
    if (members?.size !== 0) return;
    this.#members.delete(task.groupId);
    this.#killing.delete(task.groupId);
    this.#unhealthy.delete(task.groupId);
  }
}
