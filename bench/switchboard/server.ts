// The switchboard as the executor would run it, in its own process, serving one task
// without a container and, when this machine allows it, one in its own container
// (namespaces and cgroups, as the executor would choose), so the benchmark's client side
// (the CLI's role) runs in another. Prints {url, pid, isolation | unavailable} on stdout
// and runs until its stdin closes or it gets SIGTERM or SIGINT.
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../common/logger.js';
import type { TaskRegistry, TaskView } from '../../contracts/task-view.js';
import type { Container } from '../../containerizer/containerizer.js';
import { startSwitchboard } from '../../switchboard/index.js';
import { idleV8Helpers } from '../../common/v8-helpers.js';
import { Containerizer } from '../../containerizer/containerizer.js';
import { chooseIsolation, describe, probeIsolationFacts } from '../../containerizer/isolation.js';

const token = process.env.BENCH_SWITCHBOARD_TOKEN;
if (!token) throw new Error('BENCH_SWITCHBOARD_TOKEN is not set');
const sandbox = mkdtempSync(path.join(tmpdir(), 'sb-bench-'));
const executor = { value: 'bench-executor' };
const environment = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sandbox, MESOS_SANDBOX: sandbox };
const taskView = (taskId: string, value: string, container?: Container): TaskView => ({
  taskId,
  containerId: { value, parent: executor },
  environment,
  workingDirectory: sandbox,
  terminated: false,
  waitStatus: undefined,
  exited: new Promise<void>(() => {}),
  ...(container ? { container } : {}),
});
const tasks = [taskView('bench', 'bench-task')];

const { facts, hierarchy } = await probeIsolationFacts();
const choice = chooseIsolation(facts, { mode: 'auto' });
let containerizer: Containerizer | undefined;
if (choice.namespaces) {
  containerizer = new Containerizer({ isolation: choice, ...(hierarchy ? { hierarchy } : {}), cgroupRoot: `mesos-sidecar-bench-${process.pid}`, runtimeDir: path.join(sandbox, '.containers') });
  const container = await containerizer.launch({
    id: 'bench-task-isolated', file: '/bin/sh', args: ['-c', 'exec sleep 1000000'], argv0: 'sh', env: environment, cwd: sandbox,
    io: { type: 'fds', stdout: 'ignore', stderr: 'ignore' }, resources: { cpus: 1, mem: 256, limits: {} },
  });
  tasks.push(taskView('bench-isolated', 'bench-task-isolated', container));
}
const registry: TaskRegistry = {
  executorContainerId: () => executor,
  taskByContainerId: (value) => tasks.find((t) => t.containerId.value === value),
  tasks: () => tasks,
  killTask: () => false,
};
const logger = createLogger({ name: 'switchboard-bench', level: 'warn' });
const socketPath = process.env.BENCH_SWITCHBOARD_SOCKET;
const sb = await startSwitchboard({ registry, logger, auth: { tokens: [{ principal: 'bench', token }] }, limits: { maxSessions: 1000 }, ...(containerizer ? { containerizer } : {}), ...(socketPath ? { socketPath } : {}) });
const isolated = choice.namespaces ? { isolation: describe(choice) } : { unavailable: choice.reason };
// Its stdin closing (the benchmark ended or died) or a signal: either way the isolated
// task's init and cgroup go with it, as they would with an executor.
let stopping = false;
const stop = (code: number): void => {
  if (stopping) return;
  stopping = true;
  void sb.close().then(async () => {
    await containerizer?.shutdown();
    rmSync(sandbox, { recursive: true, force: true });
    process.exit(code);
  });
};
process.stdin.resume();
process.stdin.on('end', () => stop(0));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop(128 + constants.signals[signal]));
// A crash too (its reader gone: EPIPE on the address line): without this the isolated
// task's init and cgroup outlived it.
const crashed = (err: Error): void => {
  process.stderr.write(`bench switchboard server: ${err.stack ?? err.message}\n`);
  stop(1);
};
process.once('uncaughtException', crashed);
// As the executor does once its switchboard listens (executor/start.ts); the address only
// then, so that nothing is measured before. The helpers' thread ids go with it: their CPU
// time tells the benchmark when V8 has done compiling the TTY path.
idleV8Helpers().then((helpers) => {
  const v8HelperTids = helpers.kind === 'found' ? helpers.tids : [];
  process.stdout.write(`${JSON.stringify({ url: sb.url, pid: process.pid, isolated, v8HelperTids })}\n`);
}, crashed);
