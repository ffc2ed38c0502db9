// Prometheus metrics of the checks, on a registry of our own (never prom-client's global
// one): probe counts and latency per task, check kind and probe type, and the scheduler's
// lateness. Served on a loopback-only endpoint, MESOS_SIDECAR_METRICS_ADDRESS=host:port,
// at GET /metrics.
import { createServer, type Server } from 'node:http';
import { Counter, Histogram, Registry } from 'prom-client';
import { MetricsAddressError } from './errors.js';

export type CheckKind = 'health' | 'check' | 'readiness';

export const METRICS_ADDRESS_ENV = 'MESOS_SIDECAR_METRICS_ADDRESS';

export class CheckMetrics {
  readonly registry = new Registry();
  readonly probes = new Counter({
    name: 'mesos_sidecar_check_probes_total',
    help: 'Probes run, by task, check kind (health, check, readiness), probe type and outcome (result, error, gap)',
    labelNames: ['task_id', 'check', 'type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly verdicts = new Counter({
    name: 'mesos_sidecar_check_verdicts_total',
    help: 'Interpreted results: health checks healthy/unhealthy, readiness ready/not_ready',
    labelNames: ['task_id', 'check', 'verdict'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'mesos_sidecar_check_probe_duration_seconds',
    help: 'Probe duration from start to outcome, by task, check kind and probe type',
    labelNames: ['task_id', 'check', 'type'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly lateness = new Histogram({
    name: 'mesos_sidecar_check_scheduler_lateness_seconds',
    help: 'How late probes started relative to their due time',
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });

  // Label sets used per task, so that forgetTask can remove exactly those series.
  readonly #series = new Map<string, Map<string, () => void>>();

  #track(taskId: string, key: string, remove: () => void): void {
    let m = this.#series.get(taskId);
    if (!m) this.#series.set(taskId, (m = new Map()));
    if (!m.has(key)) m.set(key, remove);
  }

  observeProbe(taskId: string, check: CheckKind, type: string, outcome: string, latencyMs: number): void {
    const counted = { task_id: taskId, check, type, outcome };
    const timed = { task_id: taskId, check, type };
    this.probes.inc(counted);
    this.latency.observe(timed, latencyMs / 1000);
    this.#track(taskId, `p/${check}/${type}/${outcome}`, () => this.probes.remove(counted));
    this.#track(taskId, `l/${check}/${type}`, () => this.latency.remove(timed));
  }

  observeVerdict(taskId: string, check: CheckKind, verdict: string): void {
    const labels = { task_id: taskId, check, verdict };
    this.verdicts.inc(labels);
    this.#track(taskId, `v/${check}/${verdict}`, () => this.verdicts.remove(labels));
  }

  /** Drops a finished task's series so that label cardinality follows the live tasks. */
  forgetTask(taskId: string): void {
    for (const remove of this.#series.get(taskId)?.values() ?? []) remove();
    this.#series.delete(taskId);
  }
}

export interface MetricsEndpoint {
  url: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function parseMetricsAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text.trim());
  if (!m) throw new MetricsAddressError(`${METRICS_ADDRESS_ENV}=${JSON.stringify(text)} is not host:port (e.g. 127.0.0.1:9100 or [::1]:0)`);
  const host = (m[1] ?? m[2])!;
  const port = Number(m[3]);
  if (!LOOPBACK.has(host)) throw new MetricsAddressError(`${METRICS_ADDRESS_ENV}: host ${JSON.stringify(host)} is not loopback (127.0.0.1, ::1 or localhost)`);
  if (port > 65535) throw new MetricsAddressError(`${METRICS_ADDRESS_ENV}: port ${port} is out of range`);
  return { host, port };
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Starts the endpoint when MESOS_SIDECAR_METRICS_ADDRESS is set; undefined otherwise. */
export async function startMetricsFromEnv(metrics: CheckMetrics, env: NodeJS.ProcessEnv = process.env, options: { unref?: boolean } = {}): Promise<MetricsEndpoint | undefined> {
  const address = env[METRICS_ADDRESS_ENV];
  if (!address) return undefined;
  return startMetricsServer(metrics.registry, address, options);
}
