// The executor's Prometheus endpoint: one registry (never prom-client's global one) that
// the checks engine and the container statistics register their series into, served at
// GET /metrics on the loopback address MESOS_SIDECAR_METRICS_ADDRESS=host:port.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { SidecarError } from '../common/errors.js';
import { parseHostPort } from '../common/host-port.js';

export const METRICS_ADDRESS_ENV = 'MESOS_SIDECAR_METRICS_ADDRESS';

/** The metrics endpoint address is malformed or not loopback. */
export class MetricsAddressError extends SidecarError {
  readonly code = 'E_METRICS_ADDRESS';
}

export interface MetricsEndpoint {
  url: string;
  /** The address actually bound (port 0 resolved). */
  address: { host: string; port: number };
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function parseMetricsAddress(text: string): { host: string; port: number } {
  const address = parseHostPort(text.trim());
  if (!address) throw new MetricsAddressError(`${METRICS_ADDRESS_ENV}=${JSON.stringify(text)} is not host:port (e.g. 127.0.0.1:9100 or [::1]:0)`);
  if (!LOOPBACK.has(address.host)) throw new MetricsAddressError(`${METRICS_ADDRESS_ENV}: host ${JSON.stringify(address.host)} is not loopback (127.0.0.1, ::1 or localhost)`);
  return address;
}

/** Serves `registry` at GET /metrics on a loopback address. */
export async function startMetricsServer(registry: Registry, address: string, options: { unref?: boolean } = {}): Promise<MetricsEndpoint> {
  const { host, port } = parseMetricsAddress(address);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  if (options.unref) server.unref();
  const a = server.address();
  const actual = typeof a === 'object' && a ? a.port : port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${actual}/metrics`,
    address: { host, port: actual },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
