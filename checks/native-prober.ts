// The probes' connections through native/prober.c: connect, write, read and close on an
// epoll set of the addon's own, with one JavaScript call per event-loop turn for every
// connection that had something to say, instead of libuv handles, requests and a callback
// per step of each. The listener interface is raw-tcp.ts's; where the addon was not built
// (no compiler at install), or its table of connections is full, callers use RawTcp.
import { createRequire } from 'node:module';
import { getSystemErrorName } from 'node:util';
import type { RawTcpError, RawTcpListener } from './raw-tcp.js';

interface Binding {
  init(records: Int32Array, buffer: Buffer, onRecords: (count: number) => void, capacity: number): void;
  /** kind 0: a TCP check; 1: an HTTP exchange writing `request`. */
  start(kind: 0 | 1, host: string, port: number, request?: Buffer): number;
  close(slot: number): void;
  active(): number;
}

// native/prober.c's table.
const REC_DATA = 1;
const REC_EOF = 2;
const REC_ERROR = 3;
const REC_CONNECTED = 4;
const RECORD_INTS = 4;
const CONNECTED_NOW = 1 << 24;
const NO_SLOT = -1;
const SYSCALLS = ['connect', 'write', 'read'] as const;

/** Connections at once; the scheduler's in-flight bound (256) is what limits it in practice. */
export const NATIVE_CAPACITY = 4096;
/** What one turn reads, shared by every connection ready in it. */
const BUFFER_BYTES = 64 * 1024;
const MAX_RECORDS = 256;

const ADDON_PATH = new URL('../../build/Release/prober.node', import.meta.url);

let binding: Binding | null | undefined;
let disabled = false;
/** The open connections by slot. */
const open: Array<NativeConnection | undefined> = [];
const records = new Int32Array(MAX_RECORDS * RECORD_INTS);
const buffer = Buffer.allocUnsafe(BUFFER_BYTES);

function onRecords(count: number): void {
  for (let i = 0; i < count; i++) {
    const at = i * RECORD_INTS;
    const conn = open[records[at]!];
    // Closed earlier in this turn (an abort, a verdict): the addon keeps the slot unused until we return.
    if (!conn) continue;
    const listener = conn.listener;
    const kind = records[at + 1]!;
    if (kind === REC_DATA) {
      const start = records[at + 2]!;
      listener.onRead(buffer, start, start + records[at + 3]!);
    } else if (kind === REC_EOF) {
      listener.onEnd();
    } else if (kind === REC_CONNECTED) {
      listener.onConnect();
    } else if (kind === REC_ERROR) {
      listener.onError(errorOf(records[at + 2]!, SYSCALLS[records[at + 3]!] ?? 'read', conn));
    }
  }
}

/** A failed system call, worded as node:net words it (`connect ECONNREFUSED 127.0.0.1:80`). */
function errorOf(errno: number, syscall: string, conn: NativeConnection): RawTcpError {
  const code = getSystemErrorName(-errno);
  return { code, message: `${syscall} ${code}${syscall === 'connect' ? ` ${conn.host}:${conn.port}` : ''}` };
}

function load(): Binding | null {
  if (binding !== undefined) return disabled ? null : binding;
  binding = null;
  try {
    const b = createRequire(import.meta.url)(ADDON_PATH.pathname) as Binding;
    b.init(records, buffer, onRecords, NATIVE_CAPACITY);
    binding = b;
  } catch {
    // not built: RawTcp
  }
  return disabled ? null : binding;
}

export function nativeProberAvailable(): boolean {
  return load() !== null;
}

/** For tests of the RawTcp path: pretend the addon is missing, or use it again. */
export function useNativeProberForTests(value: 'auto' | 'off'): void {
  disabled = value === 'off';
}

/** Connections the addon holds (tests: every probe gives its slot back). */
export function nativeActive(): number {
  return binding ? binding.active() : 0;
}

/** One probe's connection in the addon; `close()` ends it wherever it is. */
export class NativeConnection {
  #slot = -1;

  private constructor(
    readonly host: string,
    readonly port: number,
    readonly listener: RawTcpListener,
  ) {}

  /**
   * Connects to an address (not a name) and, for HTTP, writes `request`. Outcomes reach
   * `listener` as for RawTcp, never synchronously; null when the addon is missing or full.
   */
  static open(host: string, port: number, request: Buffer | undefined, listener: RawTcpListener): NativeConnection | null {
    const b = load();
    if (!b) return null;
    const r = b.start(request ? 1 : 0, host, port, request);
    if (r === NO_SLOT) return null;
    const conn = new NativeConnection(host, port, listener);
    if (r === CONNECTED_NOW) {
      queueMicrotask(() => listener.onConnect());
    } else if (r < 0) {
      // -(errno + 4096 * syscall) - 1
      const failure = -(r + 1);
      const err = errorOf(failure % 4096, SYSCALLS[Math.floor(failure / 4096)] ?? 'connect', conn);
      queueMicrotask(() => listener.onError(err));
    } else {
      conn.#slot = r;
      open[r] = conn;
    }
    return conn;
  }

  close(): void {
    const slot = this.#slot;
    if (slot < 0) return;
    this.#slot = -1;
    open[slot] = undefined;
    binding!.close(slot);
  }
}
