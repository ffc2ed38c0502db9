// Which container a ContainerID names: the executor's own, a task's nested container,
// a live exec session, or a session whose termination is kept until REMOVE_*.
import type { mesos } from '../proto/codec.js';
import type { TaskRegistry, TaskView, TtyTap } from '../contracts/task-view.js';
import type { AttachTarget, OutputListener, RecentOutput } from './attach-target.js';
import { containerIdText, rootContainerId, sameContainerId } from './container-id.js';
import type { ExecSession, Termination } from './exec-session.js';

export type ResolvedContainer =
  | { kind: 'unknown-root' }
  | { kind: 'executor' }
  | { kind: 'task'; task: TaskView }
  | { kind: 'session'; session: ExecSession }
  | { kind: 'ended-session'; taskId: string; termination: Termination }
  | { kind: 'unknown-nested'; taskId?: string };

interface EndedSession {
  taskId: string;
  termination: Termination;
}

/** A task's terminal seen through its TtyTap, with the single input slot kept here. */
class TaskTerminal implements AttachTarget {
  readonly containerText: string;
  readonly taskId: string;
  readonly tty = true;
  inputAttached = false;
  // Captured once: the executor stops exposing `tty` when the task terminates.
  readonly #tap: TtyTap;
  #ended = false;
  readonly #endListeners = new Set<() => void>();

  constructor(task: TaskView) {
    this.#tap = task.tty!;
    this.taskId = task.taskId;
    this.containerText = containerIdText(task.containerId);
    // The tap reports the end of the output (after its last data); a task that had
    // already ended before anyone attached will not report it again.
    if (task.terminated) this.#ended = true;
    else this.#tap.onEnd(() => this.#markEnded());
  }

  get outputEnded(): boolean {
    return this.#ended;
  }

  #markEnded(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const l of this.#endListeners) l();
    this.#endListeners.clear();
  }

  onOutput(listener: OutputListener): () => void {
    return this.#tap.onData((chunk) => listener('STDOUT', chunk));
  }

  recentOutput(maxBytes: number): RecentOutput[] {
    const chunk = this.#tap.recentOutput?.(maxBytes);
    return chunk?.length ? [{ stream: 'STDOUT', chunk }] : [];
  }

  onOutputEnd(listener: () => void): () => void {
    if (this.#ended) {
      queueMicrotask(listener);
      return () => {};
    }
    this.#endListeners.add(listener);
    return () => this.#endListeners.delete(listener);
  }

  async writeStdin(data: Buffer): Promise<void> {
    // After the end the bytes are dropped (the tap's writer is closed), not refused.
    if (data.length > 0) await this.#tap.write(data);
  }

  closeStdin(): void {
    // With a TTY an empty record is a no-op: the client sends ^D instead.
  }

  resize(columns: number, rows: number): void {
    if (columns > 0 && rows > 0 && !this.#ended) this.#tap.resize(columns, rows);
  }
}

export class Containers {
  readonly #registry: TaskRegistry;
  readonly #sessions = new Map<string, ExecSession>();
  readonly #ended = new Map<string, EndedSession>();
  readonly #terminals = new WeakMap<TaskView, TaskTerminal>();
  /** Session ids whose container is being launched: a second launch of one answers 202. */
  readonly #launching = new Set<string>();

  constructor(registry: TaskRegistry) {
    this.#registry = registry;
  }

  get registry(): TaskRegistry {
    return this.#registry;
  }

  /** Sessions running or being launched (what the maxSessions bound counts). */
  get liveSessions(): number {
    return this.#sessions.size + this.#launching.size;
  }

  sessions(): IterableIterator<ExecSession> {
    return this.#sessions.values();
  }

  /** The task that owns this task container, when `id` names one. */
  taskOf(id: mesos.ContainerID): TaskView | undefined {
    const task = this.#registry.taskByContainerId(id.value);
    return task && sameContainerId(task.containerId, id) ? task : undefined;
  }

  resolve(id: mesos.ContainerID): ResolvedContainer {
    const executor = this.#registry.executorContainerId();
    if (!executor || !sameContainerId(rootContainerId(id), executor)) return { kind: 'unknown-root' };
    if (sameContainerId(id, executor)) return { kind: 'executor' };
    const text = containerIdText(id);
    const session = this.#sessions.get(text);
    if (session) return { kind: 'session', session };
    const ended = this.#ended.get(text);
    if (ended) return { kind: 'ended-session', ...ended };
    const task = this.taskOf(id);
    if (task) return { kind: 'task', task };
    return { kind: 'unknown-nested' };
  }

  terminalOf(task: TaskView): TaskTerminal | undefined {
    let terminal = this.#terminals.get(task);
    if (!terminal) {
      if (!task.tty) return undefined;
      terminal = new TaskTerminal(task);
      this.#terminals.set(task, terminal);
    }
    return terminal;
  }

  exists(id: mesos.ContainerID): boolean {
    const text = containerIdText(id);
    return this.#sessions.has(text) || this.#ended.has(text) || this.#launching.has(text) || this.taskOf(id) !== undefined;
  }

  /**
   * Runs `launch` with `id` reserved, then registers the session it returns. Undefined
   * when `id` was taken meanwhile (the launch is not run).
   */
  async launching(id: mesos.ContainerID, launch: () => Promise<ExecSession>): Promise<ExecSession | undefined> {
    if (this.exists(id)) return undefined;
    const text = containerIdText(id);
    this.#launching.add(text);
    try {
      const session = await launch();
      this.#add(session);
      return session;
    } finally {
      this.#launching.delete(text);
    }
  }

  #add(session: ExecSession): void {
    this.#sessions.set(session.containerText, session);
    void session.terminated.then((termination) => {
      this.#sessions.delete(session.containerText);
      this.#ended.set(session.containerText, { taskId: session.taskId, termination });
    });
  }

  /** REMOVE_* of an ended session: WAIT answers 404 afterwards. */
  forget(id: mesos.ContainerID): void {
    this.#ended.delete(containerIdText(id));
  }

  /** Every live session, for shutdown. */
  destroyAll(): void {
    for (const s of this.#sessions.values()) s.destroy();
  }
}
