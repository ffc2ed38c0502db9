// A TCP connect and immediate close, what `mesos-tcp-connect` does (spec §4). A refused or
// failed connect is a result (`succeeded: false`); only the caller's deadline makes an error.
// The connect goes through the native prober (native-prober.ts: on loopback it is done when
// connect returns, so socket, connect, TCP_INFO, close), else libuv's handle directly
// (raw-tcp.ts: bench/checks, same run, net.Socket 0.05-0.10 ms of CPU per probe, the raw
// handle 0.021-0.029 ms, kubelet's Go net.Dial 0.035-0.044 ms), else node:net.
import { connect } from 'node:net';
import type { TcpSpec } from './definitions.js';
import { probeError, type ProbeOutcome } from './outcome.js';
import { RawTcp, rawTcpAvailable, type RawTcpError, type RawTcpListener } from './raw-tcp.js';
import { NativeConnection, nativeProberAvailable } from './native-prober.js';
import { unwatchAbort, watchAbort, type Abortable } from './abort-watch.js';

function failure(code: string, message: string): ProbeOutcome {
  const detail = code === 'ECONNREFUSED' ? 'connection refused' : `${code}: ${message}`;
  return { kind: 'result', result: { type: 'TCP', succeeded: false, detail } };
}

const succeeded = (): ProbeOutcome => ({ kind: 'result', result: { type: 'TCP', succeeded: true } });

export function probeTcp(spec: TcpSpec, options: { signal: AbortSignal }): Promise<ProbeOutcome> {
  const { signal } = options;
  if (signal.aborted) return Promise.resolve(probeError('ABORTED', 'probe aborted'));
  // spec.host is an address literal (TcpSpec), which both the addon and RawTcp take.
  return rawTcpAvailable() || nativeProberAvailable() ? new RawTcpProbe(spec, signal).done : probeNet(spec, signal);
}

/** One connect on a libuv handle: settles once, on the connect's completion or the abort. */
class RawTcpProbe implements RawTcpListener, Abortable {
  readonly done: Promise<ProbeOutcome>;
  #resolve!: (outcome: ProbeOutcome) => void;
  readonly #signal: AbortSignal;
  readonly #conn: NativeConnection | RawTcp;
  #settled = false;

  constructor(spec: TcpSpec, signal: AbortSignal) {
    this.done = new Promise((resolve) => (this.#resolve = resolve));
    this.#signal = signal;
    this.#conn = NativeConnection.open(spec.host, spec.port, undefined, this) ?? new RawTcp(spec.host, spec.port, undefined, this);
    watchAbort(signal, this);
  }

  onConnect(): void {
    this.#finish(succeeded());
  }

  onRead(): boolean {
    return false;
  }

  onEnd(): void {}

  onError(err: RawTcpError): void {
    this.#finish(failure(err.code, err.message));
  }

  abort(): void {
    this.#finish(probeError('ABORTED', 'probe aborted'));
  }

  #finish(outcome: ProbeOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    unwatchAbort(this.#signal, this);
    // Connected or not, the handle goes at once, as mesos-tcp-connect closes it.
    this.#conn.close();
    this.#resolve(outcome);
  }
}

function probeNet(spec: TcpSpec, signal: AbortSignal): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: spec.host, port: spec.port });
    const finish = (outcome: ProbeOutcome) => {
      unwatchAbort(signal, probe);
      socket.removeAllListeners('connect');
      // Errors after the verdict (e.g. a reset while closing) are irrelevant to it.
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(outcome);
    };
    const probe: Abortable = { abort: () => finish(probeError('ABORTED', 'probe aborted')) };
    watchAbort(signal, probe);
    socket.once('connect', () => finish(succeeded()));
    socket.once('error', (err: NodeJS.ErrnoException) => finish(failure(err.code ?? 'error', err.message)));
  });
}
