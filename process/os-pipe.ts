// A child's stdout and stderr through real pipes (native/pipe.c) instead of child_process'
// socketpairs: a stream socket allocates a buffer per write and locks both ends; a pipe
// moves the same bytes for less kernel work at both ends (bench/switchboard, 2 cores: exec
// output 740-860 -> 1,140-1,330 MiB/s, the switchboard's CPU 0.74-1.0 -> 0.44-0.62 s per
// GiB). Without the addon (no compiler at install) callers keep child_process' 'pipe'.
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';

interface Binding {
  /** [readFd, writeFd], close-on-exec; asks the kernel for `bytes` of buffer (best effort). */
  pipe(bytes: number): [number, number];
}

/**
 * What each pipe asks to hold: about what a socketpair holds, so a reader that fell behind
 * takes it in one read (process/read-buffers.ts); the kernel allocates pages as they fill.
 * 1 MiB measured no faster, and an unprivileged user's pipes count against its
 * pipe-user-pages-soft (16,384 pages), past which its new pipes get two pages.
 */
export const PIPE_BYTES = 256 * 1024;

const ADDON_PATH = new URL('../../build/Release/pipe.node', import.meta.url);
let binding: Binding | null | undefined;
let disabled = false;

function load(): Binding | null {
  if (binding === undefined) {
    try {
      binding = createRequire(import.meta.url)(ADDON_PATH.pathname) as Binding;
    } catch {
      binding = null;
    }
  }
  return disabled ? null : binding;
}

/** For tests of the fallback: behave as without the addon, or use it again. */
export function useOutputPipesForTests(value: 'auto' | 'off'): void {
  disabled = value === 'off';
}

export interface OutputPipe {
  /** The write end, for spawn's stdio. */
  readonly writeFd: number;
  /** The read end, a socket that reads nothing until someone reads it. */
  readonly reader: Socket;
}

export interface OutputPipes {
  readonly stdout: OutputPipe;
  readonly stderr: OutputPipe;
  /** Once the child was spawned (or failed to be): our copies of the write ends go. */
  closeWriteEnds(): void;
  /** The child never came: the read ends go too. */
  destroy(): void;
}

function outputPipe(b: Binding, bytes: number): OutputPipe {
  const [readFd, writeFd] = b.pipe(bytes);
  // manualStart: net.Socket would otherwise start reading at once, and a quick command's
  // output would be read (and dropped) before anyone listens.
  const reader = new Socket({ fd: readFd, readable: true, writable: false, manualStart: true } as ConstructorParameters<typeof Socket>[0]);
  return { writeFd, reader };
}

/** Pipes for a child's stdout and stderr; undefined without the addon. */
export function outputPipes(bytes = PIPE_BYTES): OutputPipes | undefined {
  const b = load();
  if (!b) return undefined;
  const stdout = outputPipe(b, bytes);
  let stderr: OutputPipe;
  try {
    stderr = outputPipe(b, bytes);
  } catch (err) {
    // Out of descriptors, say: the first pipe must not outlive the refusal.
    closeSync(stdout.writeFd);
    stdout.reader.destroy();
    throw err;
  }
  let writeEndsOpen = true;
  const closeWriteEnds = () => {
    if (!writeEndsOpen) return;
    writeEndsOpen = false;
    closeSync(stdout.writeFd);
    closeSync(stderr.writeFd);
  };
  return {
    stdout,
    stderr,
    closeWriteEnds,
    destroy: () => {
      closeWriteEnds();
      stdout.reader.destroy();
      stderr.reader.destroy();
    },
  };
}
