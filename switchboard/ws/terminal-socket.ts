// One gateway WebSocket carrying a terminal: binary frames in become stdin (one write at a
// time, the socket paused while one is pending, so a fast sender cannot queue input here),
// text frames are control messages, output goes out in binary frames with the socket's
// send buffer bounded, and a heartbeat finds peers that went away without closing.
import type { ChunkLease } from '../../process/read-buffers.js';
import type { RawData, WebSocket } from 'ws';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import { WS_CLOSE, type WsServerMessage } from '../../contracts/ws-gateway.js';
import type { AttachTarget } from '../attach-target.js';
import type { ReaderSlot } from '../output-readers.js';
import { closeReason, parseControl } from './control.js';

/**
 * What a full send buffer does to the producer. An exec session waits for its reader (its
 * output is paused, as the HTTP session's is); a task's terminal never waits for one of
 * its attached readers, so a reader that falls too far behind is cut off, as an HTTP
 * ATTACH_CONTAINER_OUTPUT reader is.
 */
export type OutputFlow =
  | { kind: 'pause'; pause(): void; resume(): void; maxBufferedBytes: number }
  | { kind: 'cut-off'; maxQueuedBytes: number; slot: ReaderSlot };

/** Why the socket ended: we finished it, the client closed it or broke a rule, or it died. */
export type SocketEnd = 'finished' | 'client-closed' | 'policy' | 'too-big' | 'cut-off' | 'heartbeat' | 'error';

export interface TerminalSocketOptions {
  ws: WebSocket;
  clock: Clock;
  heartbeatIntervalMs: number;
  logger: Logger;
  input: Pick<AttachTarget, 'writeStdin' | 'closeStdin' | 'resize'>;
  flow: OutputFlow;
}

export class TerminalSocket {
  readonly #ws: WebSocket;
  readonly #options: TerminalSocketOptions;
  /** Input in arrival order: frames, resizes and stdin-end apply one after the other. */
  #inputChain: Promise<void> = Promise.resolve();
  /** Input items received and not yet applied; the socket is not read while above 0. */
  #inputPending = 0;
  #outputPaused = false;
  /** The first reason the socket ended with (set by whoever ended it first). */
  #end: SocketEnd | undefined;
  readonly #endListeners: ((end: SocketEnd) => void)[] = [];
  #heartbeat: ReturnType<Clock['setTimeout']> | undefined;
  #pongSeen = true;
  bytesIn = 0;
  bytesOut = 0;
  /** The most bytes the socket had waiting to be sent at any time (the gateway's bound). */
  peakBufferedBytes = 0;

  constructor(options: TerminalSocketOptions) {
    this.#options = options;
    this.#ws = options.ws;
    const ws = this.#ws;
    ws.on('message', (data: RawData, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('pong', () => (this.#pongSeen = true));
    ws.on('error', (err: Error & { code?: string }) => {
      // ws closes the socket itself after these (1009 for a frame past maxPayload).
      this.#end ??= err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'too-big' : 'error';
      options.logger.debug({ err }, 'gateway socket error');
    });
    ws.on('close', (code: number) => {
      options.clock.clearTimeout(this.#heartbeat);
      this.#end ??= code === WS_CLOSE.tooBig ? 'too-big' : 'client-closed';
      // Whatever held the producer back no longer matters: it must not stay paused.
      this.#resumeOutput();
      for (const l of this.#endListeners.splice(0)) l(this.#end);
    });
    this.#scheduleHeartbeat();
  }

  get bufferedBytes(): number {
    return this.#ws.bufferedAmount;
  }

  get ended(): boolean {
    return this.#end !== undefined;
  }

  onEnd(listener: (end: SocketEnd) => void): void {
    this.#endListeners.push(listener);
  }

  send(message: WsServerMessage): void {
    if (this.#end === undefined) this.#ws.send(JSON.stringify(message));
  }

  /** `lease`: the chunk lives in a reused read buffer (process/read-buffers.ts), held until the frame is written. */
  sendOutput(chunk: Buffer, lease?: ChunkLease): void {
    if (this.#end !== undefined) return;
    this.bytesOut += chunk.length;
    const release = lease?.retain();
    this.#ws.send(chunk, { binary: true }, release ? (err?: Error) => (release(), this.#onSent(err)) : this.#onSent);
    const queued = this.#ws.bufferedAmount;
    if (queued > this.peakBufferedBytes) this.peakBufferedBytes = queued;
    const flow = this.#options.flow;
    if (flow.kind === 'pause') {
      if (!this.#outputPaused && queued > flow.maxBufferedBytes) {
        this.#outputPaused = true;
        this.#options.logger.debug({ queued, bound: flow.maxBufferedBytes }, 'gateway socket send buffer full; output paused');
        flow.pause();
      }
    } else if (queued > flow.maxQueuedBytes) {
      this.cutOff(`the reader fell behind: ${queued} bytes queued, past the limit of ${flow.maxQueuedBytes}`);
    } else {
      // False when the readers' total budget cut this reader off instead (it called cutOff).
      flow.slot.reserve(queued);
    }
  }

  // Called as each frame leaves for the kernel: the buffer shrinks in these steps.
  readonly #onSent = (err?: Error): void => {
    if (err) return;
    const flow = this.#options.flow;
    const queued = this.#ws.bufferedAmount;
    if (flow.kind === 'pause') {
      if (this.#outputPaused && queued <= flow.maxBufferedBytes / 2) {
        this.#options.logger.debug({ queued }, 'gateway socket send buffer drained; output resumed');
        this.#resumeOutput();
      }
    } else if (this.#end === undefined) flow.slot.reserve(queued);
  };

  #resumeOutput(): void {
    if (!this.#outputPaused || this.#options.flow.kind !== 'pause') return;
    this.#outputPaused = false;
    this.#options.flow.resume();
  }

  /** The last message, then a normal close: the session or the task ended. */
  finish(message: WsServerMessage): void {
    if (this.#end !== undefined) return;
    this.send(message);
    this.#end = 'finished';
    this.#ws.close(WS_CLOSE.normal);
  }

  /** An error message, then a close with `code` (1008: the client's fault, 1011: ours). */
  fail(code: number, message: string, end: SocketEnd = code === WS_CLOSE.policy ? 'policy' : 'error'): void {
    if (this.#end !== undefined) return;
    this.send({ type: 'error', message });
    this.#end = end;
    this.#options.logger.info({ code, reason: message }, 'gateway socket closed by the switchboard');
    this.#ws.close(code, closeReason(message));
  }

  cutOff(reason: string): void {
    this.fail(WS_CLOSE.policy, reason, 'cut-off');
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#end !== undefined) return;
    const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (isBinary) {
      this.bytesIn += chunk.length;
      this.#applyInput(() => this.#options.input.writeStdin(chunk));
      return;
    }
    const parsed = parseControl(chunk.toString('utf8'));
    if (!parsed.ok) return this.fail(WS_CLOSE.policy, parsed.reason);
    const message = parsed.message;
    if (message.type === 'resize') this.#applyInput(async () => this.#options.input.resize(message.columns, message.rows));
    else this.#applyInput(async () => this.#options.input.closeStdin());
  }

  #applyInput(apply: () => Promise<void>): void {
    if (this.#inputPending++ === 0) this.#ws.pause();
    this.#inputChain = this.#inputChain
      .then(apply)
      .then(
        () => {
          if (--this.#inputPending === 0 && this.#end === undefined) this.#ws.resume();
        },
        (err: unknown) => this.fail(WS_CLOSE.internal, `Failed writing to stdin: ${(err as Error).message}`),
      );
  }

  #scheduleHeartbeat(): void {
    const { clock, heartbeatIntervalMs } = this.#options;
    this.#heartbeat = clock.setTimeout(() => {
      if (this.#end !== undefined) return;
      // While input is paused its pongs cannot be read: no verdict then.
      if (!this.#pongSeen && this.#inputPending === 0) {
        this.#end = 'heartbeat';
        this.#options.logger.info({ intervalMs: heartbeatIntervalMs }, 'gateway peer missed a heartbeat; terminating its socket');
        this.#ws.terminate();
        return;
      }
      this.#pongSeen = false;
      this.#ws.ping();
      this.#scheduleHeartbeat();
    }, heartbeatIntervalMs);
  }
}
