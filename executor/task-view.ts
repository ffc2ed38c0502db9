// What the executor exposes about its tasks to the IO switchboard (switchboard/).
import type { mesos } from '../proto/codec.js';

/** Live access to the terminal of a task launched with ContainerInfo.tty_info. */
export interface TtyTap {
  /** Live output only (no replay). Returns a function that removes the listener. */
  onData(listener: (chunk: Buffer) => void): () => void;
  /** Called once when the terminal's output has ended (the task exited). */
  onEnd(listener: () => void): () => void;
  /** Resolves once the terminal took the bytes (input backpressure); dropped after the end. */
  write(data: Buffer | string): Promise<void>;
  resize(columns: number, rows: number): void;
}

export interface TaskView {
  taskId: string;
  /** {value: <uuid>, parent: <executor container from SUBSCRIBED>} */
  containerId: mesos.ContainerID;
  environment: Record<string, string>;
  workingDirectory: string;
  user?: string;
  /** Process group leader while the task runs. */
  pid?: number;
  tty?: TtyTap;
  /** Raw wait(2) status once terminated (undefined while running or when unknown). */
  readonly terminated: boolean;
  readonly waitStatus: number | undefined;
  /** Resolves when the task's process has been reaped. */
  readonly exited: Promise<void>;
}

export interface TaskRegistry {
  /** The executor's own container (SUBSCRIBED.container_id), once subscribed. */
  executorContainerId(): mesos.ContainerID | undefined;
  /** Tasks by the `value` of their nested container ID. */
  taskByContainerId(value: string): TaskView | undefined;
  tasks(): Iterable<TaskView>;
}
