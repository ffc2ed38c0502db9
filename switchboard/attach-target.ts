// What ATTACH_CONTAINER_INPUT/OUTPUT need from a container: a task launched with a TTY
// (through the executor's TtyTap) or an exec session. One shape so both share the code.
import type { ChunkLease } from '../process/read-buffers.js';
export type OutputStream = 'STDOUT' | 'STDERR';
/**
 * `lease` only for a listener registered with `borrows`, and only when the chunk lives in a
 * buffer that is read into again (process/read-buffers.ts): keeping the chunk past the call
 * takes `lease.retain()`, and its release once done. Without `borrows` a listener owns its
 * chunks.
 */
export type OutputListener = (stream: OutputStream, chunk: Buffer, lease?: ChunkLease) => void;
export interface OutputOptions {
  borrows?: boolean;
}
export interface RecentOutput {
  stream: OutputStream;
  chunk: Buffer;
}

export interface AttachTarget {
  /** Mesos text form of the container id. */
  readonly containerText: string;
  readonly taskId: string;
  readonly tty: boolean;
  /** True once the output has been drained (the process exited). */
  readonly outputEnded: boolean;
  /** Live output only; returns the unsubscribe function. */
  onOutput(listener: OutputListener, options?: OutputOptions): () => void;
  /** The last output before now, at most `maxBytes`, oldest first (attach with a tail). */
  recentOutput(maxBytes: number): RecentOutput[];
  /** Called once the output has ended; at once if it already has. */
  onOutputEnd(listener: () => void): () => void;
  /** Resolves when the bytes were handed to the process (stdin backpressure). */
  writeStdin(data: Buffer): Promise<void>;
  /** Empty STDIN record: EOF without a TTY, ignored with one. */
  closeStdin(): void;
  resize(columns: number, rows: number): void;
  /** The single input slot (409 for a second input stream). */
  inputAttached: boolean;
}
