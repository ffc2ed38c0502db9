// The switchboard as the executor would run it, in its own process, serving one task so
// the benchmark's client side (the CLI's role) runs in another. Prints {url, pid} on
// stdout and runs until its stdin closes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../common/logger.js';
import type { TaskRegistry, TaskView } from '../../contracts/task-view.js';
import { startSwitchboard } from '../../switchboard/index.js';

const token = process.env.BENCH_SWITCHBOARD_TOKEN;
if (!token) throw new Error('BENCH_SWITCHBOARD_TOKEN is not set');
const sandbox = mkdtempSync(path.join(tmpdir(), 'sb-bench-'));
const executor = { value: 'bench-executor' };
const task: TaskView = {
  taskId: 'bench',
  containerId: { value: 'bench-task', parent: executor },
  environment: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sandbox, MESOS_SANDBOX: sandbox },
  workingDirectory: sandbox,
  terminated: false,
  waitStatus: undefined,
  exited: new Promise<void>(() => {}),
};
const registry: TaskRegistry = {
  executorContainerId: () => executor,
  taskByContainerId: (value) => (value === task.containerId.value ? task : undefined),
  tasks: () => [task],
  killTask: () => false,
};
const logger = createLogger({ name: 'switchboard-bench', level: 'warn' });
const socketPath = process.env.BENCH_SWITCHBOARD_SOCKET;
const sb = await startSwitchboard({ registry, logger, auth: { tokens: [{ principal: 'bench', token }] }, limits: { maxSessions: 1000 }, ...(socketPath ? { socketPath } : {}) });
process.stdout.write(`${JSON.stringify({ url: sb.url, pid: process.pid })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void sb.close().then(() => {
    rmSync(sandbox, { recursive: true, force: true });
    process.exit(0);
  });
});
