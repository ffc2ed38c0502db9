// What the executor's entry point loads (executor/start.ts imports checks/factory.js and
// calls createTaskCheckFactory()). Besides the factory, it starts the Prometheus endpoint
// when MESOS_SIDECAR_METRICS_ADDRESS is set, so that the executor gets metrics without
// knowing about them. The endpoint never keeps the executor alive (unref'd server).
import { createTaskCheckFactory as createFactory, type SidecarTaskCheckFactory, type TaskCheckFactoryOptions } from './index.js';
import { startMetricsFromEnv, type MetricsEndpoint } from './metrics.js';

export type { SidecarTaskCheckFactory, TaskCheckFactoryOptions };

/** The endpoint started by the last createTaskCheckFactory() call, once it listens. */
export let metricsEndpoint: Promise<MetricsEndpoint | undefined> = Promise.resolve(undefined);

export function createTaskCheckFactory(options: TaskCheckFactoryOptions = {}, env: NodeJS.ProcessEnv = process.env): SidecarTaskCheckFactory {
  const factory = createFactory(options);
  metricsEndpoint = startMetricsFromEnv(factory.metrics, env, { unref: true }).catch((err: Error) => {
    // A bad address must not take the tasks down with it: say so on stderr and go on.
    process.stderr.write(`mesos-sidecar: metrics endpoint not started: ${err.message}\n`);
    return undefined;
  });
  return factory;
}
