// A TTY task's terminal as the switchboard sees it (contracts/task-view.ts' TtyTap): the
// output goes to a sink (the task's sandbox `stdout`) and to whoever attached, and ends
// for both at once.
//
// End semantics, which attach depends on: the end is reported once, after the last data
// listeners saw and after the sink has flushed, so an attach reader that sees the end has
// everything the file has; a listener added after the end is called on a microtask.
import type { Writable } from 'node:stream';
import type { TtyTap } from '../contracts/task-view.js';
import type { Terminal, TerminalExit } from './terminal.js';
import { DEFAULT_OUTPUT_TAIL_BYTES, OutputRing } from './output-ring.js';

export interface TappedTerminal {
  tap: TtyTap;
  /** Resolves after the end was reported to the tap's listeners. */
  exited: Promise<TerminalExit>;
}

/** `recentBytes`: how much of the latest output the tap keeps for recentOutput() (0: none). */
export function tapTerminal(terminal: Terminal, sink: Writable, recentBytes = DEFAULT_OUTPUT_TAIL_BYTES): TappedTerminal {
  const recent = new OutputRing(recentBytes);
  const dataListeners = new Set<(chunk: Buffer) => void>();
  const endListeners = new Set<() => void>();
  let ended = false;
  terminal.onData((chunk) => {
    recent.push(chunk);
    for (const l of dataListeners) l(chunk);
    // A slow sink pauses the terminal, and with it the task, like a full pipe would.
    if (!sink.write(chunk)) {
      terminal.pause();
      sink.once('drain', () => terminal.resume());
    }
  });
  const exited = new Promise<TerminalExit>((resolve) => {
    terminal.onExit((exit) => {
      sink.end(() => {
        ended = true;
        for (const l of endListeners) l();
        endListeners.clear();
        dataListeners.clear();
        resolve(exit);
      });
    });
  });
  const tap: TtyTap = {
    onData(listener) {
      dataListeners.add(listener);
      return () => dataListeners.delete(listener);
    },
    onEnd(listener) {
      if (ended) {
        queueMicrotask(listener);
        return () => {};
      }
      endListeners.add(listener);
      return () => endListeners.delete(listener);
    },
    write(data) {
      return terminal.write(typeof data === 'string' ? Buffer.from(data) : data);
    },
    resize(columns, rows) {
      terminal.resize(columns, rows);
    },
    recentOutput(maxBytes) {
      return Buffer.concat(recent.tail(maxBytes).map((r) => r.chunk));
    },
  };
  return { tap, exited };
}
