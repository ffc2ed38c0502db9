// The executor: turns agent events into running tasks and tasks into status updates,
// following the built-in Mesos executors (executor-api.md §5–§9, checks.md §7–§8).
import { randomUUID } from 'node:crypto';
import { recordCheck, reportsCheck } from '../contracts/check-history.js';
import { constants } from 'node:os';
import { systemClock, type Clock, type TimerHandle } from '../common/clock.js';
import { SidecarError, TaskInvalidError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { executor, mesos } from '../proto/codec.js';
import { AgentConnection, type AgentConnectionOptions, type AgentTransport, type ConnectionEvent, type SubscribeRequest } from './agent-connection.js';
import { SubscriptionBackoff, type Random } from './backoff.js';
import type { HealthReport, TaskCheckDefinitions, TaskCheckRunner } from '../contracts/checks.js';
import type { ExecutorConfig } from './env.js';
import { killGraceMs, shutdownGraceMs } from './kill-policy.js';
import { killTask, type KillEffects } from './kill-task.js';
import type { LaunchedProcess, ProcessExit, ProcessLauncher } from './process-launcher.js';
import { DeferredLauncher } from './deferred-launcher.js';
import { checkUpdate, healthUpdate, readinessUpdate } from './check-updates.js';
import { ChecksGate, type CheckFactorySource } from './checks-gate.js';
import type { Containerizer } from '../containerizer/containerizer.js';
import { isTerminalState } from '../proto/task-state.js';
import { Recovery, type RecoveryAction, type RecoveryState } from './recovery.js';
import { createTaskStatus, StatusUpdateManager, type StatusFields, type UpdateSnapshot } from './status-updates.js';
import { buildSubscribe } from './subscribe-call.js';
import { ISOLATION_LABEL, type ExecutorSandbox, type HealthKillHold, type SwitchboardKill, type TaskRegistry } from '../contracts/task-view.js';
import { HealthKills } from './health-kills.js';
import type { TlsConnector } from './tls-connector.js';
import { Task } from './task.js';
import { TaskGroups } from './task-groups.js';
import { TaskTable } from './task-table.js';
import { commandInfoOf, type TaskSpec } from './task-spec.js';
import { prepareTask } from './launch.js';
import { killSendsKilling, type KillRequest } from './kill-cause.js';
import { decideTerminalUpdate, takesGroupDown, type TerminalUpdate } from './terminal-update.js';

/** Upstream fail-safe: exit even if the last terminal update is never acknowledged. */
export const ACK_FAILSAFE_MS = 60_000;

/** Terminated tasks remembered (for the switchboard's WAIT) once acknowledged. */
export const TERMINATED_TASKS_KEPT = 1000;

/** Exit codes of the executor process. */
export const EXIT_OK = 0;
/** Lost the agent (no checkpointing, or past the recovery timeout), or gave up on ACKs. */
export const EXIT_AGENT_LOST = 1;

export interface ExecutorOptions {
  config: ExecutorConfig;
  logger: Logger;
  clock?: Clock;
  random?: Random;
  /**
   * Starts every task as one of its containers (executor/start.ts makes the one per
   * executor, with the isolation it probed; a promise while it is still starting, which
   * the first launch waits for); default: one without isolation.
   */
  containerizer?: Containerizer | Promise<Containerizer>;
  /** Replaces the containerizer's launcher (step tests' fake processes). */
  launcher?: ProcessLauncher;
  /** The link to the agent; default an AgentConnection over HTTP (tests inject a fake). */
  transport?: (options: AgentConnectionOptions<UpdateSnapshot>) => AgentTransport;
  /** The checks engine, or a promise or loader of it (executor/checks-gate.ts). */
  checkFactory?: CheckFactorySource;
  /** Added to every status update's labels (e.g. where the IO switchboard listens). */
  extraStatusLabels?: mesos.Label[];
  /** Framework messages (MESSAGE events); ignored when absent, as the built-ins do. */
  onMessage?: (data: Buffer) => void;
  /** How many acknowledged terminated tasks to remember; default TERMINATED_TASKS_KEPT. */
  terminatedTasksKept?: number;
  /** TLS to the agent (config.ssl.enabled), built by the entry point. */
  tls?: TlsConnector;
}

type Lifecycle =
  | { kind: 'running' }
  /** SHUTDOWN received or injected: tasks are being killed. */
  | { kind: 'shutting-down'; reportable: boolean; exitCode: number }
  | { kind: 'exited'; code: number };

export class Executor implements TaskRegistry {
  readonly #config: ExecutorConfig;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #launcher: ProcessLauncher;
  /** Where tasks run; COMMAND checks nest in their task's container. */
  #containerizer: Containerizer | undefined;
  readonly #checksGate: ChecksGate;
  readonly #extraLabels: mesos.Label[];
  readonly #onMessage: ((data: Buffer) => void) | undefined;
  readonly #connection: AgentTransport;
  readonly #recovery: Recovery;
  readonly #updates: StatusUpdateManager;
  readonly #backoff: SubscriptionBackoff;
  readonly #tasks: TaskTable<Task>;
  readonly #groups = new TaskGroups<Task>();
  readonly #killEffects: KillEffects;
  /** Held health kills: debug holds from the switchboard and the kill-storm guard. */
  readonly #healthKills: HealthKills;
  #subscribed: executor.Event.Subscribed | undefined;
  #lifecycle: Lifecycle = { kind: 'running' };
  #failsafeTimer: TimerHandle | undefined;
  #shutdownDeadline: TimerHandle | undefined;
  #heartbeatTimer: TimerHandle | undefined;
  #exited!: (code: number) => void;
  readonly #exitCode: Promise<number>;

  constructor(options: ExecutorOptions) {
    this.#config = options.config;
    this.#log = options.logger.child({ executorId: options.config.executorId, frameworkId: options.config.frameworkId });
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    if (options.containerizer instanceof Promise) {
      void options.containerizer.then((c) => (this.#containerizer = c), () => {});
    } else {
      this.#containerizer = options.containerizer;
    }
    this.#launcher = options.launcher ?? new DeferredLauncher(options.containerizer, { recentOutputBytes: this.#config.outputTailBytes });
    this.#checksGate = new ChecksGate({
      source: options.checkFactory,
      deliver: (event) => this.#onEvent(event),
      stopped: () => this.#lifecycle.kind === 'exited',
      log: this.#log,
      launcherReady: this.#launcher.ready,
    });
    this.#extraLabels = options.extraStatusLabels ?? [];
    this.#tasks = new TaskTable(options.terminatedTasksKept ?? TERMINATED_TASKS_KEPT);
    this.#onMessage = options.onMessage;
    this.#backoff = new SubscriptionBackoff(this.#config.subscriptionBackoffMaxMs, this.#random);
    this.#exitCode = new Promise((resolve) => (this.#exited = resolve));
    this.#healthKills = new HealthKills({ settings: this.#config.killStorm, clock: this.#clock, logger: this.#log, metrics: () => this.#checksGate.factory?.healthKillMetrics });
    this.#killEffects = {
      clock: this.#clock,
      log: this.#log,
      onKilling: (task, request) => {
        if (this.#hasCapability('TASK_KILLING_STATE') && killSendsKilling(request.cause)) this.#sendStatus(task, { state: 'TASK_KILLING' });
      },
    };
    this.#updates = new StatusUpdateManager({
      clock: this.#clock,
      random: this.#random,
      logger: this.#log,
      post: (update) => this.#connection.call({ ...this.#ids(), type: 'UPDATE', update }),
    });
    this.#recovery = new Recovery(this.#clock, this.#config, (action, from, to) => this.#onRecovery(action, from.kind, to.kind));
    const transport = options.transport ?? ((o) => new AgentConnection(o));
    this.#connection = transport({
      agentUrl: this.#config.agentUrl,
      apiPath: this.#config.apiPath,
      contentType: this.#config.contentType,
      clock: this.#clock,
      logger: this.#log,
      ...(this.#config.socketPath ? { socketPath: this.#config.socketPath } : {}),
      ...(this.#config.authToken ? { authToken: this.#config.authToken } : {}),
      ...(options.tls ? { tls: options.tls } : {}),
      buildSubscribe: () => this.#subscribeCall(),
      onEvent: (event) => this.#checksGate.offer(event),
      onConnection: (event) => this.#onConnection(event),
    });
  }

  /** Connects and runs until the executor is done; resolves with the process exit code. */
  run(): Promise<number> {
    this.#log.info({ agent: this.#config.agentUrl, contentType: this.#config.contentType, checkpoint: this.#config.checkpoint }, 'executor starting');
    this.#connection.connect(0);
    return this.#exitCode;
  }

  // --- TaskRegistry -----------------------------------------------------------------------

  executorContainerId(): mesos.ContainerID | undefined {
    return this.#subscribed?.container_id;
  }

  taskByContainerId(value: string): Task | undefined {
    return this.#tasks.byContainer(value);
  }

  tasks(): Iterable<Task> {
    return this.#tasks.all();
  }

  killTask(taskId: string, request: SwitchboardKill): boolean {
    const task = this.#tasks.get(taskId);
    const spec = task?.spec;
    if (!task || !spec) return false;
    this.#log.info({ task_id: taskId, principal: request.principal, signal: request.signal }, 'kill requested through the switchboard');
    // SIGKILL asks for no grace; any other signal is a kill with the task's own policy.
    const graceMs = request.signal === constants.signals.SIGKILL ? 0 : spec.killGraceMs;
    this.#killRequested(task, { graceMs, cause: { kind: 'switchboard', principal: request.principal } });
    return true;
  }

  holdHealthKills(taskId: string, hold: HealthKillHold): (() => void) | undefined {
    const task = this.#tasks.get(taskId);
    if (!task?.live) return undefined;
    return this.#healthKills.hold(taskId, hold, () => {
      if (task.phase.kind === 'running') task.checks?.resetHealthFailures();
    });
  }

  sandbox(): ExecutorSandbox {
    return { frameworkId: this.#config.frameworkId, executorId: this.#config.executorId, executorName: this.#subscribed?.executor_info.name, directory: this.#config.sandbox };
  }

  // --- connection -------------------------------------------------------------------------

  #ids(): { executor_id: mesos.ExecutorID; framework_id: mesos.FrameworkID } {
    return { executor_id: { value: this.#config.executorId }, framework_id: { value: this.#config.frameworkId } };
  }

  #subscribeCall(): SubscribeRequest<UpdateSnapshot> {
    // Tasks with no acknowledged update yet; the agent turns queued tasks missing from
    // this list into TASK_DROPPED/TASK_LOST.
    const unacknowledgedTasks = [...this.#tasks.all()].filter((t) => !this.#updates.isTaskAcknowledged(t.taskId)).map((t) => t.info);
    const carried = this.#updates.snapshot();
    const build = buildSubscribe({ unacknowledgedTasks, unacknowledgedUpdates: [...carried.updates] }, this.#config.contentType);
    for (const { original, repaired, error } of build.repairedUpdates) {
      this.#log.error({ task_id: original.task_id.value, state: original.state, err: error }, 'status update cannot be encoded; SUBSCRIBE carries its minimal form');
      this.#updates.replace(repaired);
    }
    for (const { status, error } of build.droppedUpdates) {
      this.#log.error({ task_id: status.task_id.value, state: status.state, err: error }, 'status update cannot be encoded at all; dropped');
      this.#updates.forget(status);
    }
    for (const { info, error } of build.droppedTasks) {
      const task = this.#tasks.get(info.task_id.value);
      this.#log.error({ task_id: info.task_id.value, err: error, live: task?.live }, 'TaskInfo cannot be encoded; left out of SUBSCRIBE (a live task is ended)');
      if (task?.live) this.#kill(task, { graceMs: 0, cause: { kind: 'invalid', message: `TaskInfo cannot be encoded: ${error.message}` } });
    }
    return { call: { ...this.#ids(), type: 'SUBSCRIBE', subscribe: build.subscribe }, carried };
  }

  #onConnection(event: ConnectionEvent<UpdateSnapshot>): void {
    switch (event.type) {
      case 'connected':
        return this.#recovery.feed({ kind: 'reachable' });
      case 'subscribed':
        this.#backoff.reset();
        this.#updates.onSubscribed(event.carried);
        // Checks were paused when the last subscription ended or when their task started
        // while unsubscribed; a killing task's checks stay paused.
        for (const task of this.#tasks.live()) if (task.phase.kind === 'running') task.checks?.resume();
        return;
      case 'disconnected': {
        this.#updates.onDisconnected();
        this.#clock.clearTimeout(this.#heartbeatTimer);
        if (event.cause.subscribed) for (const task of this.#tasks.live()) if (task.phase.kind === 'running') task.checks?.pause();
        if (this.#lifecycle.kind === 'exited') return;
        if (this.#lifecycle.kind === 'shutting-down' && !this.#lifecycle.reportable) return;
        return this.#recovery.feed({ kind: 'disconnected', reached: event.cause.connected, reason: event.cause.reason });
      }
    }
  }

  #onRecovery(action: RecoveryAction, from: RecoveryState['kind'], to: RecoveryState['kind']): void {
    if (from === 'recovering' && to === 'connected') this.#log.info('agent reachable again; recovery timer cancelled');
    switch (action.kind) {
      case 'none':
        return;
      case 'reconnect':
        if (action.fresh) {
          this.#log.warn({ reason: action.reason, recoveryTimeoutMs: this.#config.recoveryTimeoutMs }, 'agent disconnected; keeping tasks running and reconnecting');
          this.#backoff.reset();
        }
        return this.#connection.connect(this.#backoff.next());
      case 'shut-down':
        this.#log.error({ reason: action.reason, checkpoint: this.#config.checkpoint, recoveryTimeoutMs: this.#config.recoveryTimeoutMs }, from === 'recovering' ? 'agent did not come back within the recovery timeout; shutting down' : 'disconnected from the agent; shutting down');
        this.#connection.close();
        return this.#shutdown({ reportable: false, exitCode: EXIT_AGENT_LOST });
    }
  }

  #onEvent(event: executor.Event): void {
    try {
      this.#handleEvent(event);
    } catch (err) {
      // A bug in handling one event must not look like a broken stream (which would
      // re-subscribe and replay nothing): log it loudly and carry on with the next one.
      this.#log.error({ err, type: event.type }, 'failed to handle event');
    }
  }

  #handleEvent(event: executor.Event): void {
    const log = this.#log;
    switch (event.type) {
      case 'SUBSCRIBED':
        return this.#onSubscribed(event.subscribed!);
      case 'LAUNCH':
        if (!event.launch) return void log.warn('LAUNCH without launch payload; ignored');
        return this.#launchTasks([event.launch.task], undefined);
      case 'LAUNCH_GROUP': {
        const tasks = event.launch_group?.task_group.tasks ?? [];
        if (tasks.length === 0) return void log.warn('LAUNCH_GROUP without tasks; ignored');
        return this.#launchTasks(tasks, this.#groups.newGroup());
      }
      case 'KILL':
        if (!event.kill) return void log.warn('KILL without kill payload; ignored');
        return this.#onKill(event.kill);
      case 'ACKNOWLEDGED': {
        if (!event.acknowledged) return;
        const status = this.#updates.acknowledge(event.acknowledged.uuid);
        if (!status) {
          log.warn({ task_id: event.acknowledged.task_id.value, uuid: Buffer.from(event.acknowledged.uuid).toString('hex') }, 'ACKNOWLEDGED for an unknown update; ignored');
        } else {
          log.debug({ task_id: status.task_id.value, state: status.state }, 'update acknowledged');
          if (isTerminalState(status.state)) this.#onTerminalAcknowledged(status.task_id.value);
        }
        return this.#maybeExit();
      }
      case 'MESSAGE':
        log.debug({ bytes: event.message?.data.length ?? 0 }, 'framework message');
        if (event.message && this.#onMessage) this.#onMessage(event.message.data);
        return;
      case 'ERROR':
        log.error({ message: event.error?.message }, 'ERROR event from the agent');
        return;
      case 'SHUTDOWN':
        log.info('SHUTDOWN received');
        return this.#shutdown({ reportable: true, exitCode: EXIT_OK });
      case 'HEARTBEAT':
        log.trace('heartbeat');
        return;
      default:
        log.warn({ type: event.type ?? 'unknown enum value' }, 'unknown event type; ignored');
    }
  }

  #onSubscribed(subscribed: executor.Event.Subscribed): void {
    this.#subscribed = subscribed;
    this.#log.info(
      { agentId: subscribed.agent_info.id?.value, containerId: subscribed.container_id?.value, capabilities: subscribed.framework_info.capabilities?.map((c) => c.type) },
      'subscribed',
    );
    this.#scheduleHeartbeat();
    this.#maybeExit();
  }

  #scheduleHeartbeat(): void {
    this.#clock.clearTimeout(this.#heartbeatTimer);
    // Keeps intermediaries from reaping the call connection (upstream: every 30 minutes).
    this.#heartbeatTimer = this.#clock.setTimeout(() => {
      this.#connection.call({ ...this.#ids(), type: 'HEARTBEAT' }).catch((err: unknown) => this.#log.debug({ err }, 'HEARTBEAT call failed'));
      this.#scheduleHeartbeat();
    }, 30 * 60_000);
  }

  #hasCapability(type: mesos.FrameworkInfo.Capability.Type): boolean {
    return (this.#subscribed?.framework_info.capabilities ?? []).some((c) => c.type === type);
  }

  // --- status updates ---------------------------------------------------------------------

  #sendStatus(task: Task, fields: Omit<StatusFields, 'taskId' | 'containerId'>): void {
    const status = createTaskStatus(
      {
        ...(task.checkStatus ? { checkStatus: task.checkStatus } : {}),
        labels: [...this.#extraLabels, { key: ISOLATION_LABEL, value: this.#launcher.isolation }],
        ...fields,
        taskId: task.taskId,
        containerId: task.containerId,
      },
      this.#config.executorId,
      this.#clock,
    );
    this.#deliver(task, status);
  }

  #deliver(task: Task, status: mesos.TaskStatus): void {
    const labels = this.#healthKills.labels(task.taskId, status.labels);
    if (labels) status.labels = labels;
    task.lastStatus = status;
    if (reportsCheck(status)) recordCheck(task.checkHistory, status, this.#clock.now());
    this.#log.info(
      { taskId: task.taskId, state: status.state, reason: status.reason, healthy: status.healthy, message: status.message },
      'status update',
    );
    this.#updates.send(status);
  }

  /** Checks may only speak between TASK_RUNNING and the start of a kill. */
  #checksMaySpeak(task: Task): boolean {
    return task.phase.kind === 'running' && task.lastStatus?.state === 'TASK_RUNNING' && this.#lifecycle.kind === 'running';
  }

  #onHealth(task: Task, report: HealthReport): void {
    if (!this.#checksMaySpeak(task)) return;
    const verdict = this.#healthKills.onHealth(task.taskId, report);
    // During the report: the checks then go on probing instead of stopping for the kill.
    if (verdict.held) task.checks?.resetHealthFailures();
    this.#deliver(task, healthUpdate(task.lastStatus!, { ...report, kill: verdict.kill, message: verdict.message }, this.#clock));
    const spec = task.spec;
    if (verdict.kill && spec) {
      const description = task.checks?.describeKill() ?? report.message;
      this.#kill(task, { graceMs: spec.killGraceMs, cause: { kind: 'health', description } });
    }
  }

  #onCheck(task: Task, checkStatus: mesos.CheckStatusInfo, message: string): void {
    if (this.#checksMaySpeak(task)) this.#deliver(task, checkUpdate(task.lastStatus!, checkStatus, message, this.#clock));
  }

  #onReadiness(task: Task, labels: mesos.Label[], message: string): void {
    if (this.#checksMaySpeak(task)) this.#deliver(task, readinessUpdate(task.lastStatus!, labels, message, this.#clock));
  }

  // --- launch -----------------------------------------------------------------------------

  #launchTasks(infos: mesos.TaskInfo[], groupId: number | undefined): void {
    if (this.#lifecycle.kind !== 'running') {
      // Work that arrives while we shut down is dropped before it started (§7.1).
      for (const info of infos) this.#rejectUnstarted(info, this.#hasCapability('PARTITION_AWARE') ? 'TASK_DROPPED' : 'TASK_LOST', 'Executor is shutting down');
      return;
    }
    // New work: the executor is no longer waiting only for its last acknowledgements.
    this.#clock.clearTimeout(this.#failsafeTimer);
    this.#failsafeTimer = undefined;
    const started: Array<[Task, TaskSpec]> = [];
    for (const info of infos) {
      const taskId = info.task_id.value;
      if (this.#tasks.has(taskId)) {
        this.#log.warn({ task_id: taskId }, 'LAUNCH for a task that already exists; ignored');
        continue;
      }
      try {
        const prepared = this.#prepareTask(info, groupId);
        if (prepared) started.push(prepared);
      } catch (err) {
        // Our bug, met by this one TaskInfo: it ends TASK_ERROR, the others still launch.
        this.#log.error({ task_id: taskId, err }, 'cannot prepare the task');
        if (!this.#tasks.has(taskId)) this.#rejectUnstarted(info, 'TASK_ERROR', `Cannot launch the task: ${(err as Error).message}`, 'REASON_TASK_INVALID');
      }
    }
    for (const [task, spec] of started) void this.#start(task, spec);
    if (groupId !== undefined) {
      // An invalid member of a group takes its siblings down like a failure would.
      const failed = this.#groups.findEnded(infos.map((i) => this.#tasks.get(i.task_id.value)), groupId);
      if (failed) this.#killGroup(failed, false);
    }
    this.#maybeExit();
  }

  /** Registers the task; returns it with its spec if it is to be started, undefined if it ended already. */
  #prepareTask(info: mesos.TaskInfo, groupId: number | undefined): [Task, TaskSpec] | undefined {
    const checks = this.#checksGate.factory;
    const prepared = prepareTask(info, groupId, {
      contentType: this.#config.contentType,
      parseChecks: checks && ((i) => checks.parse(i)),
      executorSandbox: this.#config.sandbox,
      executorEnvironment: this.#config.taskEnvironment,
      executorContainerId: this.#subscribed?.container_id,
      newContainerId: randomUUID,
      now: () => this.#clock.now(),
    });
    if (prepared.kind === 'no-sandbox') {
      this.#rejectUnstarted(info, 'TASK_ERROR', prepared.message, 'REASON_TASK_INVALID');
      return undefined;
    }
    const task = prepared.task;
    this.#tasks.add(task, prepared.kind === 'ready');
    this.#groups.add(task);
    if (prepared.kind === 'refused') {
      this.#log.error({ task_id: task.taskId, field: prepared.field, error: prepared.message }, 'invalid task');
      this.#sendStatus(task, { state: prepared.state, message: prepared.message, reason: 'REASON_TASK_INVALID' });
      return undefined;
    }
    this.#sendStatus(task, { state: 'TASK_STARTING' });
    return [task, prepared.spec];
  }

  /** A terminal update for a TaskInfo we never ran (no Task object kept). */
  #rejectUnstarted(info: mesos.TaskInfo, state: mesos.TaskState, message: string, reason?: mesos.TaskStatus.Reason): void {
    this.#log.warn({ task_id: info.task_id.value, state, message }, 'task not started');
    const status = createTaskStatus(
      { taskId: info.task_id.value, state, message, labels: [...this.#extraLabels], ...(reason ? { reason } : {}) },
      this.#config.executorId,
      this.#clock,
    );
    this.#updates.send(status);
  }

  async #start(task: Task, spec: TaskSpec): Promise<void> {
    const log = this.#log.child({ task_id: task.taskId });
    let launched: LaunchedProcess;
    try {
      launched = await this.#launcher.launch({
        taskId: task.taskId,
        containerId: task.containerId.value,
        command: commandInfoOf(spec.command),
        environment: task.environment,
        workingDirectory: task.workingDirectory,
        ...(spec.user ? { user: spec.user } : {}),
        ...(spec.tty ? { tty: spec.tty } : {}),
        resources: spec.resources,
        logger: log,
      });
    } catch (err) {
      const message = err instanceof SidecarError ? err.message : `Failed to launch task: ${(err as Error).message}`;
      log.error({ err }, 'task launch failed');
      this.#finish(task, decideTerminalUpdate({ kind: 'launch-failed', message, invalid: err instanceof TaskInvalidError }), undefined, false);
      return;
    }
    log.info({ pid: launched.pid }, 'task process started');
    const pendingKill = task.start(launched);
    void launched.exited.then((exit) => this.#onExit(task, exit));
    const maxCompletionMs = spec.maxCompletionMs;
    if (maxCompletionMs !== undefined) {
      task.completionTimer = this.#clock.setTimeout(() => {
        task.completionTimer = undefined;
        log.warn({ maxCompletionMs }, 'max_completion_time reached; killing the task');
        this.#kill(task, { graceMs: 0, cause: { kind: 'max-completion' } });
      }, maxCompletionMs);
    }
    if (spec.checks.kind === 'parsed') {
      task.checks = this.#createChecks(task, spec.checks.definitions, log);
      if (task.checks && spec.checks.definitions.health) this.#healthKills.track(task.taskId, spec.checks.definitions.health);
    } else if (spec.checks.kind === 'unsupported') {
      log.warn('task declares checks but this executor has no check support configured; running it without checks');
    }
    this.#sendStatus(task, { state: 'TASK_RUNNING' });
    if (this.#connection.state.kind !== 'subscribed') task.checks?.pause();
    if (pendingKill) this.#kill(task, pendingKill);
  }

  #createChecks(task: Task, definitions: TaskCheckDefinitions, log: Logger): TaskCheckRunner | undefined {
    try {
      return this.#checksGate.factory!.create(definitions, {
        taskId: task.taskId,
        environment: task.environment,
        workingDirectory: task.workingDirectory,
        ...(task.user ? { user: task.user } : {}),
        ...(this.#containerizer && task.container ? { container: { containerizer: this.#containerizer, parent: task.container } } : {}),
        logger: log.child({ component: 'checks' }),
        clock: this.#clock,
        reportHealth: (report) => this.#onHealth(task, report),
        reportCheck: (status, message) => this.#onCheck(task, status, message),
        reportReadiness: (labels, message) => this.#onReadiness(task, labels, message),
      });
    } catch (err) {
      // parse() accepted the definitions, so this is our bug, not the task's: keep the
      // task (the scheduler asked for it) and say loudly that it runs unchecked.
      log.error({ err }, 'cannot start the checks of this task; it runs without them');
      return undefined;
    }
  }

  // --- kill -------------------------------------------------------------------------------

  #onKill(kill: executor.Event.Kill): void {
    const task = this.#tasks.get(kill.task_id.value);
    const spec = task?.spec;
    if (!task || !spec) {
      this.#log.warn({ task_id: kill.task_id.value }, task ? 'KILL for a terminated task; ignored' : 'KILL for an unknown task; ignored');
      return;
    }
    const graceMs = killGraceMs(kill.kill_policy, spec.killGraceMs);
    this.#killRequested(task, { graceMs, cause: { kind: 'scheduler' } });
  }

  /** A kill from outside (the scheduler's KILL, the switchboard): the task and its group. */
  #killRequested(task: Task, request: KillRequest): void {
    this.#kill(task, request);
    // A kill of one task of a group takes the whole group down (default executor).
    this.#killGroup(task, false);
  }

  #kill(task: Task, request: KillRequest): void {
    killTask(task, request, this.#killEffects);
  }

  #killGroup(cause: Task, healthKill: boolean): void {
    if (this.#lifecycle.kind !== 'running') return;
    for (const sibling of this.#groups.beginKill(cause, healthKill)) {
      const spec = sibling.spec;
      if (!spec) continue;
      this.#kill(sibling, { graceMs: spec.killGraceMs, cause: { kind: 'group', siblingId: cause.taskId, siblingHealthKill: healthKill } });
    }
  }

  #onExit(task: Task, exit: ProcessExit): void {
    const phase = task.phase;
    if (phase.kind !== 'running' && phase.kind !== 'killing') return;
    const log = this.#log.child({ task_id: task.taskId });
    this.#clock.clearTimeout(task.completionTimer);
    task.completionTimer = undefined;
    // Whatever the command left behind is gone by now: its container is destroyed once the
    // command exits, before `exited` resolves (as Mesos destroys the container).
    task.checks?.stop();
    const killCause = phase.kind === 'killing' ? phase.request.cause : undefined;
    const groupUnhealthy = this.#groups.unhealthy(task);
    const update = decideTerminalUpdate({ kind: 'exited', exit, killCause, groupUnhealthy, limitation: exit.limitation, launchFailure: exit.launchFailure });
    log.info({ state: update.state, code: exit.code, signal: exit.signal, reason: update.reason }, 'task process exited');
    this.#finish(task, update, exit.waitStatus, killCause?.kind === 'health');
  }

  /** Sends the one terminal update, applies the group policy, and exits if that was the last task. */
  #finish(task: Task, update: TerminalUpdate, waitStatus: number | undefined, healthKill: boolean): void {
    this.#terminate(task, update.state, waitStatus);
    this.#sendStatus(task, update);
    if (takesGroupDown(update.state)) this.#killGroup(task, healthKill);
    this.#maybeExit();
  }

  #terminate(task: Task, state: mesos.TaskState, waitStatus: number | undefined): void {
    task.terminate(state, waitStatus);
    this.#healthKills.forget(task.taskId);
    this.#tasks.terminated(task);
  }

  #onTerminalAcknowledged(taskId: string): void {
    const task = this.#tasks.get(taskId);
    if (task && !this.#updates.hasUnacknowledgedTerminal(taskId)) this.#tasks.mayForget(task);
    for (const old of this.#tasks.forgetOld()) {
      this.#updates.forgetTask(old.taskId);
      this.#groups.forget(old);
    }
  }

  // --- shutdown and exit ------------------------------------------------------------------

  #shutdown(options: { reportable: boolean; exitCode: number }): void {
    if (this.#lifecycle.kind === 'exited') return;
    if (this.#lifecycle.kind === 'shutting-down') {
      if (!options.reportable) this.#lifecycle = { kind: 'shutting-down', reportable: false, exitCode: options.exitCode };
      this.#maybeExit();
      return;
    }
    this.#lifecycle = { kind: 'shutting-down', ...options };
    // The agent destroys us SHUTDOWN_GRACE after the event; be gone by then whatever happens.
    this.#shutdownDeadline = this.#clock.setTimeout(() => {
      this.#log.error('shutdown grace period over with work outstanding; exiting');
      for (const task of this.#tasks.live()) task.process?.destroy();
      this.#exit(this.#updates.size > 0 ? EXIT_AGENT_LOST : options.exitCode);
    }, this.#config.shutdownGracePeriodMs);
    for (const task of [...this.#tasks.live()]) {
      const spec = task.spec;
      if (spec) this.#kill(task, { graceMs: shutdownGraceMs(spec.killGraceMs, this.#config.shutdownGracePeriodMs), cause: { kind: 'shutdown' } });
    }
    this.#maybeExit();
  }

  #maybeExit(): void {
    if (this.#lifecycle.kind === 'exited') return;
    if (this.#tasks.live().size > 0) return;
    const lifecycle = this.#lifecycle;
    const shuttingDown = lifecycle.kind === 'shutting-down';
    if (lifecycle.kind === 'shutting-down' && !lifecycle.reportable) return this.#exit(lifecycle.exitCode);
    // An executor that never got a task waits for one (the agent decides when it goes).
    if (!this.#tasks.everAdded && !shuttingDown) return;
    if (this.#updates.size === 0) return this.#exit(lifecycle.kind === 'shutting-down' ? lifecycle.exitCode : EXIT_OK);
    if (!this.#failsafeTimer) {
      this.#failsafeTimer = this.#clock.setTimeout(() => {
        this.#log.error({ unacknowledged: this.#updates.size }, 'terminal updates not acknowledged within 60 s; exiting');
        this.#exit(EXIT_AGENT_LOST);
      }, ACK_FAILSAFE_MS);
    }
  }

  #exit(code: number): void {
    if (this.#lifecycle.kind === 'exited') return;
    this.#lifecycle = { kind: 'exited', code };
    this.#recovery.stop();
    for (const t of [this.#failsafeTimer, this.#shutdownDeadline, this.#heartbeatTimer]) this.#clock.clearTimeout(t);
    for (const task of this.#tasks.all()) {
      this.#clock.clearTimeout(task.completionTimer);
      task.checks?.stop();
      task.process?.destroy();
    }
    this.#connection.close();
    this.#log.info({ code }, 'executor exiting');
    this.#exited(code);
  }
}

