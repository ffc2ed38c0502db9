// Node's internal stream binding (`process.binding('stream_wrap')`): the state a libuv read
// or write reports through, for the two paths that drive libuv handles themselves
// (checks/raw-tcp.ts, process/pipe-reader.ts). null where this Node has no such binding;
// both then fall back to node:net.
export interface StreamBinding {
  WriteWrap: new () => unknown;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
}

let cached: StreamBinding | null | undefined;

export function streamBinding(): StreamBinding | null {
  if (cached !== undefined) return cached;
  try {
    const s = (process as unknown as { binding(name: string): Partial<StreamBinding> }).binding('stream_wrap');
    const ok = typeof s.WriteWrap === 'function' && s.streamBaseState instanceof Int32Array && typeof s.kReadBytesOrError === 'number' && typeof s.kLastWriteWasAsync === 'number';
    cached = ok ? { WriteWrap: s.WriteWrap!, streamBaseState: s.streamBaseState!, kReadBytesOrError: s.kReadBytesOrError!, kLastWriteWasAsync: s.kLastWriteWasAsync! } : null;
  } catch {
    cached = null;
  }
  return cached;
}
