// A TCP connect and immediate close, what `mesos-tcp-connect` does (spec §4). A refused or
// failed connect is a result (`succeeded: false`); only the caller's deadline makes an error.
import { connect } from 'node:net';
import type { TcpSpec } from './definitions.js';
import { probeError, type ProbeOutcome } from './outcome.js';

export function probeTcp(spec: TcpSpec, options: { signal: AbortSignal }): Promise<ProbeOutcome> {
  const { signal } = options;
  if (signal.aborted) return Promise.resolve(probeError('ABORTED', 'probe aborted'));
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
    socket.once('connect', () => finish({ kind: 'result', result: { type: 'TCP', succeeded: true } }));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const detail = err.code === 'ECONNREFUSED' ? 'connection refused' : `${err.code ?? 'error'}: ${err.message}`;
      finish({ kind: 'result', result: { type: 'TCP', succeeded: false, detail } });
    });
  });
}
