// What `mesos-sidecar run` knows about its tasks: the latest state of each, fed by the
// status updates the agent emulator receives; it decides when the run is over and its
// exit status.
import type { mesos } from '../proto/codec.js';
import { isTerminalState } from '../proto/task-state.js';


/** The tasks' fate, fed by status updates; decides the exit status. */
export class TaskBoard {
  readonly #states = new Map<string, mesos.TaskState>();
  readonly #tty = new Set<string>();
  readonly #hinted = new Set<string>();
  #allTerminal!: () => void;
  readonly allTerminal = new Promise<void>((resolve) => (this.#allTerminal = resolve));

  constructor(tasks: mesos.TaskInfo[]) {
    for (const t of tasks) {
      this.#states.set(t.task_id.value, 'TASK_STAGING');
      if (t.container?.tty_info) this.#tty.add(t.task_id.value);
    }
  }

  get ids(): string[] {
    return [...this.#states.keys()];
  }

  live(): string[] {
    return this.ids.filter((id) => !isTerminalState(this.#states.get(id)!));
  }

  record(status: mesos.TaskStatus): void {
    const id = status.task_id.value;
    const before = this.#states.get(id);
    if (before === undefined || isTerminalState(before)) return;
    this.#states.set(id, status.state);
    if (this.live().length === 0) this.#allTerminal();
  }

  /** The task runs under a terminal (ContainerInfo.tty_info): it can be attached to. */
  hasTty(id: string): boolean {
    return this.#tty.has(id);
  }

  /**
   * True once per task, and only while its latest recorded state is TASK_RUNNING: the exec
   * hint is for a task one can still exec into. A RUNNING update that arrives after the
   * task's terminal one (resent after a reconnect) changes nothing and gets no hint.
   */
  takeExecHint(id: string): boolean {
    if (this.#states.get(id) !== 'TASK_RUNNING' || this.#hinted.has(id)) return false;
    this.#hinted.add(id);
    return true;
  }

  exitCode(userKilled: boolean): number {
    for (const state of this.#states.values()) {
      if (state === 'TASK_FINISHED') continue;
      if (state === 'TASK_KILLED' && userKilled) continue;
      return 1;
    }
    return 0;
  }

  summary(): string {
    return this.ids.map((id) => `${id} ${this.#states.get(id)}`).join(', ');
  }
}
