// The seam with the executor: a TTY task started by the executor's own RealProcessLauncher
// (its TtyTap, its sandbox files), attached to through the switchboard.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../common/logger.js';
import { signalGroup } from '../../common/process.js';
import { RealProcessLauncher } from '../../executor/process-launcher.js';
import type { TaskRegistry, TaskView } from '../../contracts/task-view.js';
import { isOutputStream, stdinRecord, ttyInfoRecord, SwitchboardClient } from '../../switchboard/client.js';
import { startSwitchboard } from '../../switchboard/index.js';
import { collect } from './harness.js';

t.test("attach to a TTY task launched by the executor's process launcher", async (t) => {
  const sandbox = mkdtempSync(path.join(tmpdir(), 'sb-seam-'));
  const logger = createLogger({ name: 'seam', level: 'silent' });
  const launched = await new RealProcessLauncher().launch({
    taskId: 'tty-task',
    command: { value: 'echo ready; while read line; do [ "$line" = bye ] && exit 5; echo "echo:$line"; done' },
    environment: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    workingDirectory: sandbox,
    tty: { columns: 80, rows: 24 },
    logger,
  });
  let terminated = false;
  let waitStatus: number | undefined;
  const exited = launched.exited.then((e) => {
    terminated = true;
    waitStatus = e.waitStatus;
  });
  const executor = { value: 'exec-seam' };
  const task: TaskView = {
    taskId: 'tty-task',
    containerId: { value: 'tty-task-cid', parent: executor },
    environment: {},
    workingDirectory: sandbox,
    pid: launched.pid,
    tty: launched.tty!,
    get terminated() {
      return terminated;
    },
    get waitStatus() {
      return waitStatus;
    },
    exited,
  };
  const registry: TaskRegistry = { executorContainerId: () => executor, taskByContainerId: (v) => (v === task.containerId.value ? task : undefined), tasks: () => [task], killTask: () => false };
  const sb = await startSwitchboard({ registry, logger, auth: { tokens: [{ principal: 'p', token: 'tok' }] } });
  t.teardown(async () => {
    await sb.close();
    if (!terminated) signalGroup(launched.pid, 'SIGKILL');
    await exited;
    rmSync(sandbox, { recursive: true, force: true });
  });
  const client = new SwitchboardClient({ url: sb.url, token: 'tok' });

  const output = await client.openOutput({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: task.containerId } }, { encoding: 'application/x-protobuf' });
  if (!isOutputStream(output)) throw new Error(`attach answered ${output.status}`);
  const input = client.openInput(task.containerId, 'application/x-protobuf');
  await input.send(ttyInfoRecord(0, 0));
  await input.send(ttyInfoRecord(120, 40));
  let saidBye = false;
  const out = collect(output.records, (text) => {
    if (!saidBye && text.includes('echo:hello')) {
      saidBye = true;
      void input.send(stdinRecord('bye\n'));
    }
  });
  await input.send(stdinRecord('hello\n'));
  const text = (await out).stdout.toString();
  t.match(text, 'echo:hello', 'typed line answered through the executor tap');
  t.equal((await input.response).status, 200, 'input answered once the output drained');
  input.end();
  await exited;
  t.equal(await client.wait(task.containerId), 5 << 8, 'WAIT_CONTAINER on the task container');
  t.match(readFileSync(path.join(sandbox, 'stdout'), 'utf8'), 'echo:hello', "the output also landed in the task's sandbox file");
});
