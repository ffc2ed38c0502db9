// Entry point of bin/mesos-sidecar-executor: what a Mesos agent runs for our ExecutorInfo.
import { createLogger } from '../common/logger.js';
import { SidecarError } from '../common/errors.js';
import { parseExecutorEnvironment } from './env.js';
import { Executor } from './executor.js';
import type { TaskCheckFactory } from './checks-contract.js';

/** Exit code for a broken environment (missing or malformed MESOS_* variable). */
export const EXIT_BAD_ENVIRONMENT = 2;

/**
 * The checks engine lives in checks/ and is optional at run time: an executor built
 * without it still runs tasks (and says so when a task declares checks).
 */
async function loadCheckFactory(logger: ReturnType<typeof createLogger>): Promise<TaskCheckFactory | undefined> {
  const modulePath = process.env.MESOS_SIDECAR_CHECKS_MODULE ?? '../checks/factory.js';
  try {
    const mod = (await import(modulePath)) as { createTaskCheckFactory?: () => TaskCheckFactory };
    return mod.createTaskCheckFactory?.();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') logger.error({ err }, 'cannot load the checks module');
    return undefined;
  }
}

async function main(): Promise<number> {
  const logger = createLogger({ name: 'mesos-sidecar-executor' });
  let config;
  try {
    config = parseExecutorEnvironment(process.env);
  } catch (err) {
    if (err instanceof SidecarError) {
      logger.fatal({ err, code: err.code }, `invalid executor environment: ${err.message}`);
      process.stderr.write(`mesos-sidecar-executor: ${err.message}\n`);
      return EXIT_BAD_ENVIRONMENT;
    }
    throw err;
  }
  // Tasks and checks must not inherit the agent's token (the upstream library does the same).
  delete process.env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN;
  const checkFactory = await loadCheckFactory(logger);
  const executor = new Executor({ config, logger, ...(checkFactory ? { checkFactory } : {}) });
  // The agent's SIGTERM on container destruction: tasks are ours to take down with us.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.warn({ signal }, 'executor received a signal; killing tasks');
      for (const task of executor.tasks()) if (task.pid !== undefined) try { process.kill(-task.pid, 'SIGKILL'); } catch { /* already gone */ }
      process.exit(128 + (signal === 'SIGTERM' ? 15 : 2));
    });
  }
  return executor.run();
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
