// Waiting out a full write buffer: a stream that is destroyed never drains, so 'close' ends
// the wait too (a writer must not hang on a peer that went away).
import type { EventEmitter } from 'node:events';

export function drainedOrClosed(stream: EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}
