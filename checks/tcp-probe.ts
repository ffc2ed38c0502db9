// A TCP connect and immediate close, what `mesos-tcp-connect` does (spec §4). A refused or
// failed connect is a result (`succeeded: false`); only the caller's deadline makes an error.
//
// The connect goes through libuv's TCP handle directly (`tcp_wrap`, what node:net is built
// on) rather than a net.Socket: a probe reads and writes nothing, and the stream machinery
// of a Socket (its state, events, nextTick hops and destroy path) was half of what a probe
// cost. bench/checks, same run, target in another process: net.Socket 0.05-0.10 ms of CPU
// per probe, the raw handle 0.021-0.029 ms, kubelet's Go net.Dial 0.035-0.044 ms.
// `process.binding` is deprecated in documentation only (DEP0111); where it is missing
// or refuses, the probe falls back to node:net, the same check at the old cost.
import { connect } from 'node:net';
import { getSystemErrorName } from 'node:util';
import type { TcpSpec } from './definitions.js';
import { probeError, type ProbeOutcome } from './outcome.js';

interface TcpHandle {
  connect(req: ConnectRequest, address: string, port: number): number;
  connect6(req: ConnectRequest, address: string, port: number): number;
  close(): void;
}

interface ConnectRequest {
  /** libuv's status: 0 connected, else a negative errno. */
  oncomplete: (status: number) => void;
}

interface TcpWrapBinding {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => ConnectRequest;
  constants: { SOCKET: number };
}

let binding: TcpWrapBinding | null | undefined;

function tcpWrap(): TcpWrapBinding | null {
  if (binding === undefined) {
    try {
      binding = (process as unknown as { binding(name: string): TcpWrapBinding }).binding('tcp_wrap');
      if (typeof binding.TCP !== 'function' || typeof binding.TCPConnectWrap !== 'function') binding = null;
    } catch {
      binding = null;
    }
  }
  return binding;
}

/** What a failed connect says, worded as node:net words it (`connect ECONNREFUSED 127.0.0.1:80`). */
function failure(code: string, spec: TcpSpec, message = `connect ${code} ${spec.host}:${spec.port}`): ProbeOutcome {
  const detail = code === 'ECONNREFUSED' ? 'connection refused' : `${code}: ${message}`;
  return { kind: 'result', result: { type: 'TCP', succeeded: false, detail } };
}

const succeeded = (): ProbeOutcome => ({ kind: 'result', result: { type: 'TCP', succeeded: true } });

export function probeTcp(spec: TcpSpec, options: { signal: AbortSignal }): Promise<ProbeOutcome> {
  const { signal } = options;
  if (signal.aborted) return Promise.resolve(probeError('ABORTED', 'probe aborted'));
  const wrap = tcpWrap();
  return wrap ? probeRaw(wrap, spec, signal) : probeNet(spec, signal);
}

function probeRaw(wrap: TcpWrapBinding, spec: TcpSpec, signal: AbortSignal): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const handle = new wrap.TCP(wrap.constants.SOCKET);
    const req = new wrap.TCPConnectWrap();
    let settled = false;
    const finish = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      // Closing a handle whose connect is pending cancels it (oncomplete then sees
      // ECANCELED, ignored above); a connected one is closed at once, as mesos-tcp-connect does.
      handle.close();
      resolve(outcome);
    };
    const onAbort = () => finish(probeError('ABORTED', 'probe aborted'));
    req.oncomplete = (status) => finish(status === 0 ? succeeded() : failure(getSystemErrorName(status), spec));
    const err = spec.host === '::1' ? handle.connect6(req, spec.host, spec.port) : handle.connect(req, spec.host, spec.port);
    if (err !== 0) return finish(failure(getSystemErrorName(err), spec));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function probeNet(spec: TcpSpec, signal: AbortSignal): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: spec.host, port: spec.port });
    const finish = (outcome: ProbeOutcome) => {
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('connect');
      // Errors after the verdict (e.g. a reset while closing) are irrelevant to it.
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = () => finish(probeError('ABORTED', 'probe aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish(succeeded()));
    socket.once('error', (err: NodeJS.ErrnoException) => finish(failure(err.code ?? 'error', spec, err.message)));
  });
}

/** For the test of the fallback: forget (or force) the binding. */
export function useTcpWrapForTests(value: 'auto' | 'off'): void {
  binding = value === 'off' ? null : undefined;
}
