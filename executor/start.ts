// The executor process (entered through main.ts): reads the MESOS_* environment, sets up
// the one Containerizer every task runs in, runs the executor with the checks engine, and
// starts the IO switchboard when the operator configured credentials for it.
import { writeFileSync } from 'node:fs';
import { createLogger, type Logger } from '../common/logger.js';
import { idleV8Helpers } from '../common/v8-helpers.js';
import { SidecarError } from '../common/errors.js';
import type { mesos } from '../proto/codec.js';
import type { Switchboard } from '../switchboard/index.js';
import type { TaskCheckFactory } from '../contracts/checks.js';
import { parseExecutorEnvironment } from './env.js';
import { startRunStats } from './run-stats.js';
import { Executor } from './executor.js';
import type { TlsConnector } from './tls-connector.js';
import { SWITCHBOARD_URL_LABEL, switchboardConfigured } from '../contracts/switchboard.js';
import { allowOptimizingCompiler } from './v8-tuning.js';
import { METRICS_ADDRESS_ENV, startMetricsServer, type MetricsEndpoint } from '../metrics/endpoint.js';
import { registerContainerMetrics } from '../metrics/container-statistics.js';

/** Exit code for a broken configuration (missing or malformed MESOS_* variable, ...). */
export const EXIT_BAD_ENVIRONMENT = 2;



/** The switchboard's relay is latency-critical: V8's compile and GC helpers yield to it (common/v8-helpers.ts). */
function idleV8HelpersFor(logger: Logger): void {
  idleV8Helpers().then(
    (helpers) => logger.debug(helpers, helpers.kind === 'found' ? 'V8 helper threads run SCHED_IDLE' : `V8 helper threads left as they are: ${helpers.reason}`),
    (err: unknown) => logger.warn({ err }, `V8 helper threads keep their priority (${(err as Error).message}): exec keystrokes may wait behind JIT compiles`),
  );
}

function configError(logger: Logger, err: SidecarError): number {
  logger.fatal({ err, code: err.code }, `invalid configuration: ${err.message}`);
  process.stderr.write(`mesos-sidecar-executor: ${err.message}\n`);
  return EXIT_BAD_ENVIRONMENT;
}

async function main(): Promise<number> {
  const logger = createLogger({ name: 'mesos-sidecar-executor' });
  let config;
  try {
    config = parseExecutorEnvironment(process.env);
  } catch (err) {
    if (err instanceof SidecarError) return configError(logger, err);
    throw err;
  }
  for (const warning of config.sslWarnings) logger.warn(warning);
  let tls: TlsConnector | undefined;
  // node:tls only when needed: it is a noticeable part of a cold start. Over
  // MESOS_DOMAIN_SOCKET the agent speaks plain HTTP whatever the SSL settings.
  if (config.ssl.enabled && !config.socketPath) {
    try {
      const { TlsConnector } = await import('./tls-connector.js');
      tls = new TlsConnector(config.ssl);
    } catch (err) {
      if (err instanceof SidecarError) return configError(logger, err);
      throw err;
    }
  }
  // Tasks and checks must not inherit the agent's token (the upstream library does the same).
  delete process.env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN;

  // Metrics are opt-in; prom-client loads only then. The checks engine and the container
  // statistics register into this one registry. `default`: a CommonJS package, whose named
  // exports the bundle (scripts/bundle.mjs) does not recreate on a dynamic import.
  const metricsAddress = process.env[METRICS_ADDRESS_ENV];
  const registry = metricsAddress ? new (await import('prom-client')).default.Registry() : undefined;
  // Started while the executor subscribes (DeferredLauncher): the first LAUNCH waits for it.
  const starting = import('./containers.js').then((m) => m.startContainerizer(process.env, config.sandbox, logger));
  // A bad MESOS_SIDECAR_ISOLATION or MESOS_SIDECAR_CGROUP_ROOT ends the executor as before,
  // only a moment later.
  void starting.catch((err: unknown) => {
    if (!(err instanceof SidecarError)) throw err;
    process.exit(configError(logger, err));
  });
  // An executor told to leave while its containerizer still starts waits for it, so that
  // what the start made (its cgroup root) goes too.
  const shutdownContainers = (): Promise<void> => starting.then((c) => c.shutdown(), () => undefined);

  // The checks engine is the largest module (time and memory): it loads when the first
  // task that declares checks arrives, and events wait for it in order.
  const checkFactory = async (): Promise<TaskCheckFactory> => {
    allowOptimizingCompiler();
    return (await import('../checks/index.js')).createTaskCheckFactory(registry ? { registry } : {});
  };
  // Filled in once the switchboard listens, before the first status update can be built.
  const extraStatusLabels: mesos.Label[] = [];
  const executor = new Executor({ config, logger, checkFactory, extraStatusLabels, containerizer: starting, ...(tls ? { tls } : {}) });

  let metrics: MetricsEndpoint | undefined;
  if (registry && metricsAddress) {
    registerContainerMetrics(registry, () => executor.tasks());
    try {
      // unref: a scrape in progress must not keep a finished executor alive.
      metrics = await startMetricsServer(registry, metricsAddress, { unref: true });
      logger.info({ address: `${metrics.address.host}:${metrics.address.port}`, url: metrics.url }, 'metrics endpoint listening');
    } catch (err) {
      // A bad or taken address must not take the tasks down with it: say so and go on.
      logger.error({ err, variable: METRICS_ADDRESS_ENV }, `metrics endpoint not started: ${(err as Error).message}`);
    }
  }

  let switchboard: Switchboard | undefined;
  // A remote shell is opt-in: served only when the operator configured credentials.
  if (switchboardConfigured(process.env)) {
    try {
      const { startSwitchboard, switchboardOptionsFromEnv } = await import('../switchboard/index.js');
      switchboard = await startSwitchboard({ ...switchboardOptionsFromEnv(process.env), registry: executor, logger, containerizer: await starting });
    } catch (err) {
      if (err instanceof SidecarError) return configError(logger, err);
      throw err;
    }
    extraStatusLabels.push({ key: SWITCHBOARD_URL_LABEL, value: switchboard.url });
  }

  // Whatever ends this process must take the tasks' containers along, or they would
  // outlive the executor unseen by anyone (a cgroup left behind is removed on the next
  // start, by recover()).
  const destroyAndExit = (code: number): void => {
    shutdownContainers().then(
      () => process.exit(code),
      (err: unknown) => {
        logger.error({ err }, 'containers not fully destroyed');
        process.exit(code);
      },
    );
  };
  // The agent's SIGTERM on container destruction.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.warn({ signal }, 'executor received a signal; destroying task containers');
      destroyAndExit(128 + (signal === 'SIGTERM' ? 15 : 2));
    });
  }
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.once(event, (err: unknown) => {
      logger.fatal({ err }, `${event}; destroying task containers and exiting`);
      destroyAndExit(1);
    });
  }
  const stats = startRunStats();
  const running = executor.run();
  // After the SUBSCRIBE is on its way: the start does not wait for a spawn.
  if (switchboard) idleV8HelpersFor(logger);
  const code = await running;
  const figures = stats.stop();
  logger.info(figures, 'executor run statistics');
  // For load tests and benchmarks, which would rather not read (and slow down) every log line.
  const statsFile = process.env.MESOS_SIDECAR_RUN_STATS_FILE;
  if (statsFile) {
    try {
      writeFileSync(statsFile, `${JSON.stringify(figures)}\n`);
    } catch (err) {
      logger.warn({ err, file: statsFile }, 'cannot write MESOS_SIDECAR_RUN_STATS_FILE');
    }
  }
  await switchboard?.close().catch((err: unknown) => logger.warn({ err }, 'switchboard did not close cleanly'));
  await metrics?.close();
  await shutdownContainers().catch((err: unknown) => logger.error({ err }, 'containers not fully destroyed'));
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Sockets or timers left behind must not keep a finished executor alive.
    setImmediate(() => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`mesos-sidecar-executor: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
