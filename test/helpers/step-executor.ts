// The real Executor with its effects replaced: a fake ProcessLauncher whose processes exit
// when the test (or a signal it says they obey) ends them, a fake agent transport that
// records calls and delivers events in-process, and a ManualClock. No process, socket or
// real timer is involved, so a step test runs in milliseconds and is deterministic.
import type { ConnectionState, AgentConnectionOptions, AgentTransport, DisconnectInfo } from '../../executor/agent-connection.js';
import { ManualClock } from '../../common/clock.js';
import { createLogger } from '../../common/logger.js';
import { parseExecutorEnvironment, type ExecutorConfig } from '../../executor/env.js';
import { Executor, type ExecutorOptions } from '../../executor/executor.js';
import type { LaunchedProcess, LaunchSpec, ProcessExit, ProcessLauncher } from '../../executor/process-launcher.js';
import type { UpdateSnapshot } from '../../executor/status-updates.js';
import type { executor, mesos } from '../../proto/codec.js';

/** How a fake process reacts to a signal to its command (destroy() always ends it). */
export type SignalBehaviour = 'obeys-sigterm' | 'ignores-sigterm';

export interface FakeProcess {
  pid: number;
  spec: LaunchSpec;
  behaviour: SignalBehaviour;
  exit(exit: Partial<ProcessExit> & { code?: number | null }): void;
  readonly ended: boolean;
}

export interface RecordedSignal {
  pid: number;
  signal: NodeJS.Signals;
  /** ManualClock time, ms after the harness started. */
  at: number;
}

const START = 1_700_000_000_000;
/** Above any real pid_max (2^22), so a signal that escaped the fake could hit nothing. */
const FIRST_FAKE_PID = 10_000_000;

export class FakeLauncher implements ProcessLauncher {
  readonly isolation = 'none';
  readonly processes = new Map<string, FakeProcess>();
  readonly #byPid = new Map<number, FakeProcess>();
  #nextPid = FIRST_FAKE_PID;
  /** Behaviour of the next processes, per task id (default obeys-sigterm). */
  readonly behaviours = new Map<string, SignalBehaviour>();
  /** Task ids whose launch rejects with this error. */
  readonly failures = new Map<string, Error>();
  /** Called for every kill(signal) of a handle; destroy() is recorded as SIGKILL (it kills all of the container). */
  readonly #record: (pid: number, signal: NodeJS.Signals) => void;

  constructor(record: (pid: number, signal: NodeJS.Signals) => void = () => {}) {
    this.#record = record;
  }

  async launch(spec: LaunchSpec): Promise<LaunchedProcess> {
    const failure = this.failures.get(spec.taskId);
    if (failure) throw failure;
    let resolve!: (exit: ProcessExit) => void;
    const exited = new Promise<ProcessExit>((r) => (resolve = r));
    const pid = this.#nextPid++;
    let ended = false;
    const proc: FakeProcess = {
      pid,
      spec,
      behaviour: this.behaviours.get(spec.taskId) ?? 'obeys-sigterm',
      exit: ({ code = null, signal = null, ...rest }) => {
        if (ended) return;
        ended = true;
        const waitStatus = signal !== null ? (typeof signal === 'number' ? signal : SIGNALS[signal] ?? 0) : (code ?? 0) << 8;
        resolve({ code, signal, waitStatus, ...rest });
      },
      get ended() {
        return ended;
      },
    };
    this.processes.set(spec.taskId, proc);
    this.#byPid.set(pid, proc);
    const signal = (sig: NodeJS.Signals): void => {
      this.#record(pid, sig);
      this.deliver(pid, sig);
    };
    return { pid, exited, kill: signal, destroy: () => signal('SIGKILL') };
  }

  /** What a signal does to the fake process. */
  deliver(pid: number, signal: NodeJS.Signals): void {
    const proc = this.#byPid.get(pid);
    if (!proc || proc.ended) return;
    if (signal === 'SIGKILL' || (signal === 'SIGTERM' && proc.behaviour === 'obeys-sigterm')) proc.exit({ signal });
  }
}

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGTERM: 15, SIGKILL: 9 };

/** Stands in for AgentConnection: the test says when the agent is up, down, and what it sends. */
export class FakeTransport implements AgentTransport {
  readonly #o: AgentConnectionOptions<UpdateSnapshot>;
  readonly #clock: ManualClock;
  #state: ConnectionState = { kind: 'disconnected' };
  #generation = 0;
  /** While false, every connection attempt fails without reaching the agent. */
  agentUp = true;
  /** ACKNOWLEDGED every UPDATE right after it is accepted. */
  autoAcknowledge = true;
  /** Every call sent (SUBSCRIBE included), in order. */
  readonly calls: executor.Call[] = [];
  /** Connection attempts started, with the delay the executor asked for. */
  readonly attempts: number[] = [];
  subscribedPayload: executor.Event.Subscribed;

  constructor(options: AgentConnectionOptions<UpdateSnapshot>, clock: ManualClock, subscribed: executor.Event.Subscribed) {
    this.#o = options;
    this.#clock = clock;
    this.subscribedPayload = subscribed;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get updates(): mesos.TaskStatus[] {
    return this.calls.filter((c) => c.type === 'UPDATE').map((c) => c.update!.status);
  }

  get subscribes(): executor.Call.Subscribe[] {
    return this.calls.filter((c) => c.type === 'SUBSCRIBE').map((c) => c.subscribe!);
  }

  connect(delayMs = 0): void {
    if (this.#state.kind === 'closed') return;
    this.attempts.push(delayMs);
    const generation = ++this.#generation;
    this.#clock.setTimeout(() => this.#attempt(generation), delayMs);
  }

  close(): void {
    this.#generation++;
    this.#state = { kind: 'closed' };
  }

  async call(call: executor.Call): Promise<void> {
    if (this.#state.kind !== 'subscribed') throw new Error(`cannot send ${call.type}: not subscribed`);
    this.calls.push(call);
    if (call.type === 'UPDATE' && this.autoAcknowledge) {
      const status = call.update!.status;
      const generation = this.#generation;
      // After the 202, as an agent does: the ACKNOWLEDGED comes on the event stream.
      void Promise.resolve().then(() => generation === this.#generation && this.acknowledge(status));
    }
  }

  acknowledge(status: mesos.TaskStatus): void {
    this.event({ type: 'ACKNOWLEDGED', acknowledged: { task_id: status.task_id, uuid: status.uuid! } });
  }

  /** An event on the current subscription's stream. */
  event(event: executor.Event): void {
    if (this.#state.kind !== 'subscribed') throw new Error(`no event stream to send ${event.type} on (${this.#state.kind})`);
    this.#o.onEvent(event);
  }

  /** The agent goes away: the stream of a subscribed attempt breaks. */
  drop(reason = 'event stream ended'): void {
    const subscribed = this.#state.kind === 'subscribed';
    this.#disconnect({ reason, connected: true, subscribed });
  }

  #disconnect(cause: DisconnectInfo): void {
    this.#generation++;
    this.#state = { kind: 'disconnected' };
    this.#o.onConnection({ type: 'disconnected', cause });
  }

  #attempt(generation: number): void {
    if (generation !== this.#generation || this.#state.kind === 'closed') return;
    if (!this.agentUp) return this.#disconnect({ reason: 'SUBSCRIBE failed: connect ECONNREFUSED', connected: false, subscribed: false });
    this.#o.onConnection({ type: 'connected', generation });
    const request = this.#o.buildSubscribe();
    this.calls.push(request.call);
    this.#state = { kind: 'subscribed', generation };
    this.#o.onConnection({ type: 'subscribed', generation, carried: request.carried });
    this.#o.onEvent({ type: 'SUBSCRIBED', subscribed: this.subscribedPayload });
  }
}

export interface StepHarness {
  clock: ManualClock;
  executor: Executor;
  launcher: FakeLauncher;
  agent: FakeTransport;
  signals: RecordedSignal[];
  config: ExecutorConfig;
  /** Set once run() resolved. */
  exitCode(): number | undefined;
  /** Lets promise callbacks (launch, exit, POST answers) run; no real time passes. */
  settle(): Promise<void>;
  /** Advances the clock by `ms` and settles. */
  advance(ms: number): Promise<void>;
  /** LAUNCH; `behaviour` is how the task's fake process takes SIGTERM. */
  launch(task: mesos.TaskInfo, behaviour?: SignalBehaviour): Promise<void>;
  launchGroup(tasks: mesos.TaskInfo[]): Promise<void>;
  kill(taskId: string, graceMs?: number): Promise<void>;
  /** The task's fake process ends by itself (exit code or signal). */
  exit(taskId: string, exit: Partial<ProcessExit>): Promise<void>;
  states(taskId: string): mesos.TaskState[];
  terminal(taskId: string): mesos.TaskStatus | undefined;
}

export interface StepOptions {
  env?: Record<string, string>;
  capabilities?: mesos.FrameworkInfo.Capability.Type[];
  executor?: Partial<Omit<ExecutorOptions, 'config' | 'clock' | 'launcher' | 'transport'>>;
}

/** A subscribed executor on fakes; the first SUBSCRIBE has been answered when it resolves. */
export async function startStepExecutor(options: StepOptions = {}): Promise<StepHarness> {
  const clock = new ManualClock(START);
  const config = parseExecutorEnvironment({
    PATH: '/usr/bin:/bin',
    MESOS_FRAMEWORK_ID: 'step-framework',
    MESOS_EXECUTOR_ID: 'step-executor',
    MESOS_AGENT_ENDPOINT: '127.0.0.1:5051',
    MESOS_SLAVE_ID: 'step-agent',
    MESOS_DIRECTORY: '/step-sandbox',
    MESOS_SANDBOX: '/step-sandbox',
    MESOS_CHECKPOINT: '1',
    MESOS_RECOVERY_TIMEOUT: '15mins',
    MESOS_SUBSCRIPTION_BACKOFF_MAX: '2secs',
    MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: '5secs',
    ...options.env,
  });
  const signals: RecordedSignal[] = [];
  const launcher = new FakeLauncher((pid, signal) => signals.push({ pid, signal, at: clock.now() - START }));
  const subscribed: executor.Event.Subscribed = {
    executor_info: { executor_id: { value: config.executorId }, command: { value: 'mesos-sidecar-executor' } },
    framework_info: {
      user: 'root',
      name: 'step',
      id: { value: config.frameworkId },
      capabilities: (options.capabilities ?? ['TASK_KILLING_STATE', 'PARTITION_AWARE']).map((type) => ({ type })),
    },
    agent_info: { hostname: 'localhost', id: { value: 'step-agent' } },
    container_id: { value: 'executor-container' },
  };
  let agent!: FakeTransport;
  const executor = new Executor({
    logger: createLogger({ name: 'executor', level: process.env.MESOS_SIDECAR_TEST_LOG_LEVEL ?? 'silent' }),
    ...options.executor,
    config,
    clock,
    launcher,
    transport: (o) => (agent = new FakeTransport(o, clock, subscribed)),
  });
  let code: number | undefined;
  void executor.run().then((c) => (code = c));
  const settle = async (): Promise<void> => {
    // Promise chains in the executor are a few links long; a macrotask turn drains them all.
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  };
  const advance = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await settle();
  };
  await advance(0);
  return {
    clock,
    executor,
    launcher,
    agent,
    signals,
    config,
    exitCode: () => code,
    settle,
    advance,
    async launch(task, behaviour) {
      if (behaviour) launcher.behaviours.set(task.task_id.value, behaviour);
      agent.event({ type: 'LAUNCH', launch: { task } });
      await settle();
    },
    async launchGroup(tasks) {
      agent.event({ type: 'LAUNCH_GROUP', launch_group: { task_group: { tasks } } });
      await settle();
    },
    async kill(taskId, graceMs) {
      agent.event({ type: 'KILL', kill: { task_id: { value: taskId }, ...(graceMs !== undefined ? { kill_policy: { grace_period: { nanoseconds: BigInt(graceMs) * 1_000_000n } } } : {}) } });
      await settle();
    },
    async exit(taskId, exit) {
      const proc = launcher.processes.get(taskId);
      if (!proc) throw new Error(`task ${taskId} has no process`);
      proc.exit(exit);
      await settle();
    },
    states: (taskId) => agent.updates.filter((s) => s.task_id.value === taskId).map((s) => s.state),
    terminal: (taskId) => agent.updates.filter((s) => s.task_id.value === taskId).at(-1),
  };
}
