// Test fixtures: a TaskRegistry backed by real processes (the product's terminal and TtyTap
// from process/, or plain pipes), or by real containers (containerizer/, for sessions
// really nested in their task's), a switchboard on loopback with a token, and a log sink.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type { Test } from 'tap';
import { createLogger } from '../../common/logger.js';
import { groupAlive, rawWaitStatus, signalGroup } from '../../common/process.js';
import type { mesos } from '../../proto/codec.js';
import type { ExecutorSandbox, HealthKillHold, SwitchboardKill, TaskRegistry, TaskView, TtyTap } from '../../contracts/task-view.js';
import { startSwitchboard, type Switchboard, type SwitchboardOptions } from '../../switchboard/index.js';
import { isOutputStream, SwitchboardClient, type OutputStreamHandle } from '../../switchboard/client.js';
import { spawnTerminal } from '../../process/terminal.js';
import { tapTerminal } from '../../process/tty-tap.js';
import type { Container, Containerizer } from '../../containerizer/containerizer.js';
import { testContainerizer } from '../helpers/containers.js';
import type { CgroupHierarchy } from '../../containerizer/hierarchy.js';
import type { ContainerResources } from '../../containerizer/resources.js';

export const EXECUTOR_CONTAINER: mesos.ContainerID = { value: 'executor-cid' };
export const TOKEN = 'test-token-0123456789';

export class TestTask implements TaskView {
  taskId: string;
  containerId: mesos.ContainerID;
  environment: Record<string, string>;
  workingDirectory: string;
  pid?: number | undefined;
  tty?: TtyTap;
  /** Set by startContainer: the task's container, which sessions nest in. */
  container?: Container;
  terminated = false;
  waitStatus: number | undefined;
  exited: Promise<void>;
  /** Everything the terminal printed (the "sandbox file" of the test). */
  output: Buffer[] = [];
  #resolveExited!: () => void;

  constructor(taskId: string, sandbox: string) {
    this.taskId = taskId;
    this.containerId = { value: `${taskId}-cid`, parent: EXECUTOR_CONTAINER };
    this.environment = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sandbox, MESOS_SANDBOX: sandbox, TASK_MARKER: `marker-${taskId}` };
    this.workingDirectory = sandbox;
    this.exited = new Promise((resolve) => (this.#resolveExited = resolve));
  }

  startTty(command: string): void {
    // The product's terminal and tap (process/), as the executor's launcher uses them: the
    // attach tests see the end semantics tasks really have. The sink is this test's "file".
    const terminal = spawnTerminal({ file: '/bin/sh', args: ['-c', command], env: this.environment, cwd: this.workingDirectory, columns: 80, rows: 24 });
    this.pid = terminal.pid;
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.output.push(chunk);
        done();
      },
    });
    const { tap, exited } = tapTerminal(terminal, sink);
    this.tty = tap;
    void exited.then((exit) => {
      this.waitStatus = exit.waitStatus;
      this.terminated = true;
      this.#resolveExited();
    });
  }

  startPipes(command: string): void {
    const child = spawn('/bin/sh', ['-c', command], { cwd: this.workingDirectory, env: this.environment, detached: true, stdio: 'ignore' });
    this.pid = child.pid;
    child.on('exit', (code, signal) => {
      this.waitStatus = rawWaitStatus(code, signal);
      this.terminated = true;
      this.#resolveExited();
    });
  }

  /** The task in a real container (as the executor launches it), its output ignored. */
  async startContainer(containerizer: Containerizer, command: string, resources: ContainerResources = { cpus: 0.5, mem: 128, limits: {} }): Promise<Container> {
    const container = await containerizer.launch({
      id: this.containerId.value, file: '/bin/sh', args: ['-c', command], argv0: 'sh', env: this.environment, cwd: this.workingDirectory,
      io: { type: 'fds', stdout: 'ignore', stderr: 'ignore' }, resources,
    });
    [this.container, this.pid] = [container, container.pid];
    void container.wait().then((end) => {
      this.waitStatus = end.waitStatus;
      this.terminated = true;
      this.#resolveExited();
    });
    return container;
  }

  kill(): void {
    if (this.container) void this.container.destroy();
    else if (this.pid && !this.terminated) signalGroup(this.pid, 'SIGKILL');
  }
}

export const FRAMEWORK_ID = 'fw-test';
export const EXECUTOR_ID = 'exec-test';
export const EXECUTOR_NAME = 'Test Executor';

export class TestRegistry implements TaskRegistry {
  readonly byContainer = new Map<string, TestTask>();
  readonly #sandbox: string;
  constructor(sandbox: string) {
    this.#sandbox = sandbox;
  }
  sandbox(): ExecutorSandbox {
    return { frameworkId: FRAMEWORK_ID, executorId: EXECUTOR_ID, executorName: EXECUTOR_NAME, directory: this.#sandbox };
  }
  executorContainerId(): mesos.ContainerID {
    return EXECUTOR_CONTAINER;
  }
  taskByContainerId(value: string): TaskView | undefined {
    return this.byContainer.get(value);
  }
  tasks(): Iterable<TaskView> {
    return this.byContainer.values();
  }
  /** What the executor was asked to kill; this stand-in then signals the task's group. */
  readonly kills: Array<{ taskId: string } & SwitchboardKill> = [];
  killTask(taskId: string, request: SwitchboardKill): boolean {
    const task = [...this.byContainer.values()].find((t) => t.taskId === taskId);
    if (!task?.pid || task.terminated) return false;
    this.kills.push({ taskId, ...request });
    return signalGroup(task.pid, request.signal);
  }
  /** Health-kill holds asked for (TaskRegistry.holdHealthKills), and whether each was released. */
  readonly holds: Array<{ taskId: string; hold: HealthKillHold; released: boolean }> = [];
  holdHealthKills(taskId: string, hold: HealthKillHold): (() => void) | undefined {
    const entry = { taskId, hold, released: false };
    this.holds.push(entry);
    return () => void (entry.released = true);
  }
  add(task: TestTask): TestTask {
    this.byContainer.set(task.containerId.value, task);
    return task;
  }
}

export interface LogLine {
  level: number;
  msg: string;
  audit?: boolean;
  [k: string]: unknown;
}

export interface Fixture {
  registry: TestRegistry;
  sandbox: string;
  url: string;
  client: SwitchboardClient;
  logs: LogLine[];
  /** The switchboard's WebSocket gateway (its live sockets and queued bytes). */
  gateway: Switchboard['gateway'];
  /** Stops the switchboard now (teardown tolerates it). */
  close(): Promise<void>;
  /** A task in the registry with the given command (TTY or pipes). */
  task(id: string, command: string, options?: { tty?: boolean }): TestTask;
}

export interface ContainerFixture extends Fixture {
  containerizer: Containerizer;
  hierarchy: CgroupHierarchy;
  /** The fixture's cgroup parent, below the test process's own cgroup (removed in teardown). */
  root: string;
  /** A task in its own container (namespaces and cgroups), in the registry. */
  containerTask(id: string, command: string, resources?: ContainerResources): Promise<TestTask>;
}

/**
 * A fixture whose tasks run in real containers (namespaces + cgroups under
 * TEST_CGROUP_ROOT) and whose switchboard nests sessions in them. Fails the test, naming
 * what is missing, without root, namespaces or writable cgroups. Teardown destroys every
 * container and removes the test's cgroup parent.
 */
export async function startContainerFixture(t: Test, overrides: Partial<SwitchboardOptions> = {}): Promise<ContainerFixture | undefined> {
  const real = await testContainerizer(t, 'sessions nested in real containers');
  if (!real) return undefined;
  const { containerizer, hierarchy, root } = real;
  const fx = await startFixture(t, { containerizer, ...overrides });
  return {
    ...fx,
    containerizer,
    hierarchy,
    root,
    async containerTask(id, command, resources = { cpus: 0.5, mem: 64, limits: {} }) {
      const task = fx.registry.add(new TestTask(id, fx.sandbox));
      await task.startContainer(containerizer, command, resources);
      return task;
    },
  };
}

export async function startFixture(t: Test, overrides: Partial<SwitchboardOptions> = {}): Promise<Fixture> {
  const sandbox = mkdtempSync(path.join(tmpdir(), 'sb-test-'));
  const registry = new TestRegistry(sandbox);
  const logs: LogLine[] = [];
  const sink = new PassThrough();
  let pending = '';
  sink.on('data', (c: Buffer) => {
    pending += c.toString();
    let nl;
    while ((nl = pending.indexOf('\n')) !== -1) {
      logs.push(JSON.parse(pending.slice(0, nl)));
      pending = pending.slice(nl + 1);
    }
  });
  const logger = createLogger({ name: 'switchboard-test', level: 'debug', destination: sink });
  const sb = await startSwitchboard({ registry, logger, auth: { tokens: [{ principal: 'ops', token: TOKEN }] }, ...overrides });
  const tasks: TestTask[] = [];
  t.teardown(async () => {
    await sb.close();
    for (const task of tasks) {
      task.kill();
      await task.exited;
    }
    rmSync(sandbox, { recursive: true, force: true });
  });
  return {
    registry,
    sandbox,
    url: sb.url,
    client: new SwitchboardClient({ url: sb.url, token: TOKEN }),
    logs,
    gateway: sb.gateway,
    close: () => sb.close(),
    task(id, command, options = {}) {
      const task = registry.add(new TestTask(id, sandbox));
      if (options.tty) task.startTty(command);
      else task.startPipes(command);
      tasks.push(task);
      return task;
    },
  };
}

export { groupAlive };

/** The environment that points the CLI at the fixture's switchboard with `token`. */
export function cliEnv(fx: Fixture, token = TOKEN): Record<string, string> {
  return { MESOS_SIDECAR_SWITCHBOARD_URL: fx.url, MESOS_SIDECAR_SWITCHBOARD_TOKEN: token, MESOS_SIDECAR_LOG_LEVEL: 'silent' };
}

export { processGone, until } from '../helpers/wait.js';

export const ENCODINGS = ['application/json', 'application/x-protobuf'] as const;

let sessionCounter = 0;
export function sessionId(task: TestTask): mesos.ContainerID {
  return { value: `session-${process.pid}-${++sessionCounter}`, parent: task.containerId };
}

export interface Collected {
  stdout: Buffer;
  stderr: Buffer;
  heartbeats: number;
  emptyData: number;
}

/** Reads a ProcessIO stream to its end; `onStdout` sees the text so far after each chunk. */
export async function collect(records: AsyncIterable<import('../../proto/codec.js').agent.ProcessIO>, onStdout?: (text: string) => void): Promise<Collected> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let heartbeats = 0;
  let emptyData = 0;
  let text = '';
  for await (const io of records) {
    if (io.type === 'DATA') {
      const data = io.data!.data ?? Buffer.alloc(0);
      if (data.length === 0) emptyData++;
      if (io.data!.type === 'STDOUT') {
        out.push(data);
        if (onStdout) {
          text += data.toString('latin1');
          onStdout(text);
        }
      } else err.push(data);
    } else if (io.control?.type === 'HEARTBEAT') heartbeats++;
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), heartbeats, emptyData };
}

export function launchCall(id: mesos.ContainerID, command: mesos.CommandInfo, tty?: mesos.TTYInfo): import('../../proto/codec.js').agent.Call {
  return {
    type: 'LAUNCH_NESTED_CONTAINER_SESSION',
    launch_nested_container_session: { container_id: id, command, ...(tty ? { container: { type: 'MESOS', tty_info: tty } } : {}) },
  };
}

/** Launches sessions through `fx` in `encoding`: the output stream, or a throw with the refusal. */
export function sessionOpener(fx: Fixture, encoding: (typeof ENCODINGS)[number]): (...args: Parameters<typeof launchCall>) => Promise<OutputStreamHandle> {
  return async (...args) => {
    const s = await fx.client.openOutput(launchCall(...args), { encoding });
    if (!isOutputStream(s)) throw new Error(`launch answered ${s.status}: ${s.body}`);
    return s;
  };
}
