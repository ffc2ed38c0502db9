// Reliable status updates (executor-api.md §6): every update gets a fresh UUID, stays in
// an insertion-ordered map until the agent ACKNOWLEDGES it, is POSTed while subscribed
// (re-POSTed with backoff on a 4xx/5xx or transport error, never dropped) and is carried
// in the next SUBSCRIBE after a disconnection. Updates of one task go out strictly one
// after another so that a failed STARTING can never overtake a RUNNING at the agent.
import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { executor, mesos } from '../proto/codec.js';
import { isTerminalState } from '../proto/task-state.js';
import { ExponentialBackoff, type Random } from './backoff.js';


/** 16 raw bytes of a random (version 4, RFC 4122 variant) UUID, as the agent requires. */
export function newUuid(random: (n: number) => Buffer = randomBytes): Buffer {
  const b = Buffer.from(random(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return b;
}

export function uuidKey(uuid: Uint8Array): string {
  return Buffer.from(uuid).toString('hex');
}

export interface StatusFields {
  taskId: string;
  state: mesos.TaskState;
  message?: string;
  reason?: mesos.TaskStatus.Reason;
  healthy?: boolean;
  checkStatus?: mesos.CheckStatusInfo;
  labels?: mesos.Label[];
  containerId?: mesos.ContainerID;
  data?: Buffer;
  /** Only with a REASON_CONTAINER_LIMITATION* reason (Mesos' createStatusUpdate). */
  limitation?: mesos.TaskResourceLimitation;
}

/** A from-scratch TaskStatus: fresh uuid and timestamp, SOURCE_EXECUTOR, our executor id. */
export function createTaskStatus(fields: StatusFields, executorId: string, clock: Clock): mesos.TaskStatus {
  const status: mesos.TaskStatus = {
    task_id: { value: fields.taskId },
    state: fields.state,
    source: 'SOURCE_EXECUTOR',
    executor_id: { value: executorId },
    timestamp: clock.now() / 1000,
    uuid: newUuid(),
  };
  if (fields.message !== undefined) status.message = fields.message;
  if (fields.reason !== undefined) status.reason = fields.reason;
  if (fields.healthy !== undefined) status.healthy = fields.healthy;
  if (fields.checkStatus !== undefined) status.check_status = fields.checkStatus;
  if (fields.labels !== undefined && fields.labels.length > 0) status.labels = { labels: fields.labels };
  if (fields.containerId !== undefined) status.container_status = { container_id: fields.containerId };
  if (fields.data !== undefined) status.data = fields.data;
  if (fields.limitation !== undefined) status.limitation = fields.limitation;
  return status;
}

/** A copy of an earlier status with a new identity (check, health and readiness updates). */
export function copyTaskStatus(previous: mesos.TaskStatus, clock: Clock): mesos.TaskStatus {
  const copy: mesos.TaskStatus = structuredClone(previous);
  copy.uuid = newUuid();
  copy.timestamp = clock.now() / 1000;
  delete copy.reason;
  return copy;
}

/** POSTs one UPDATE call; rejects on a non-2xx answer or a transport error. */
export type PostUpdate = (update: executor.Call.Update) => Promise<void>;

/** What one SUBSCRIBE carries: the unacknowledged updates, oldest first, at build time. */
export interface UpdateSnapshot {
  readonly updates: readonly mesos.TaskStatus[];
  /** Their UUID keys: on SUBSCRIBED, everything else still unacknowledged is POSTed. */
  readonly keys: ReadonlySet<string>;
}

interface Pending {
  /** Replaced only by a repaired form of the same update (same UUID). */
  status: mesos.TaskStatus;
  key: string;
}

export class StatusUpdateManager {
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #logger: Logger;
  readonly #post: PostUpdate;
  /** Every sent-but-unacknowledged update, in the order it was created. */
  readonly #unacknowledged = new Map<string, Pending>();
  /** Per task: updates still to be POSTed in this subscription; the head may be in flight. */
  readonly #queues = new Map<string, Pending[]>();
  readonly #retryTimers = new Map<string, TimerHandle>();
  readonly #acknowledgedTasks = new Set<string>();
  /** Per task: how many of its unacknowledged updates are terminal (O(1) pruning checks). */
  readonly #unacknowledgedTerminals = new Map<string, number>();
  /** Between onSubscribed and onDisconnected: updates are POSTed as they are sent. */
  #posting = false;
  /** Bumped on every (dis)connection so that answers to POSTs of an older one are ignored. */
  #generation = 0;

  constructor(options: { clock: Clock; random?: Random; logger: Logger; post: PostUpdate }) {
    this.#clock = options.clock;
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger;
    this.#post = options.post;
  }

  get size(): number {
    return this.#unacknowledged.size;
  }

  /** Stores the update and sends it now if subscribed, else with the next SUBSCRIBE. */
  send(status: mesos.TaskStatus): void {
    if (!status.uuid) throw new TypeError('status update without uuid');
    const pending: Pending = { status, key: uuidKey(status.uuid) };
    this.#unacknowledged.set(pending.key, pending);
    this.#countTerminal(status, +1);
    if (this.#posting) this.#enqueue(pending);
  }

  #countTerminal(status: mesos.TaskStatus, delta: 1 | -1): void {
    if (!isTerminalState(status.state)) return;
    const taskId = status.task_id.value;
    const n = (this.#unacknowledgedTerminals.get(taskId) ?? 0) + delta;
    if (n > 0) this.#unacknowledgedTerminals.set(taskId, n);
    else this.#unacknowledgedTerminals.delete(taskId);
  }

  /** Swaps in another form of a stored update (same UUID, same place in the order). */
  replace(status: mesos.TaskStatus): void {
    const pending = this.#unacknowledged.get(uuidKey(status.uuid!));
    if (!pending) return;
    this.#countTerminal(pending.status, -1);
    pending.status = status;
    this.#countTerminal(status, +1);
  }

  /** Drops a stored update without an acknowledgement (it can never be sent). */
  forget(status: mesos.TaskStatus): void {
    const key = uuidKey(status.uuid!);
    const pending = this.#unacknowledged.get(key);
    if (!pending) return;
    this.#unacknowledged.delete(key);
    this.#countTerminal(pending.status, -1);
  }

  /** The executor no longer knows the task: drop what is kept about it. */
  forgetTask(taskId: string): void {
    this.#acknowledgedTasks.delete(taskId);
  }

  #enqueue(pending: Pending): void {
    const taskId = pending.status.task_id.value;
    let queue = this.#queues.get(taskId);
    if (!queue) this.#queues.set(taskId, (queue = []));
    queue.push(pending);
    if (queue.length === 1) this.#pump(taskId, this.#generation, new ExponentialBackoff({ baseMs: 100, maxMs: 5000, random: this.#random }));
  }

  /** ACKNOWLEDGED: forget the update; returns it, or undefined for an unknown UUID. */
  acknowledge(uuid: Uint8Array): mesos.TaskStatus | undefined {
    const key = uuidKey(uuid);
    const pending = this.#unacknowledged.get(key);
    if (!pending) return undefined;
    this.#unacknowledged.delete(key);
    this.#countTerminal(pending.status, -1);
    this.#acknowledgedTasks.add(pending.status.task_id.value);
    return pending.status;
  }

  /** A task counts as acknowledged once any one of its updates has been. */
  isTaskAcknowledged(taskId: string): boolean {
    return this.#acknowledgedTasks.has(taskId);
  }

  /**
   * What goes into Call.Subscribe.unacknowledged_updates (original order and UUIDs),
   * without changing anything: hand it back to onSubscribed when that SUBSCRIBE is answered.
   */
  snapshot(): UpdateSnapshot {
    const pending = [...this.#unacknowledged.values()];
    return { updates: pending.map((p) => p.status), keys: new Set(pending.map((p) => p.key)) };
  }

  hasUnacknowledgedTerminal(taskId: string): boolean {
    return this.#unacknowledgedTerminals.has(taskId);
  }

  /**
   * SUBSCRIBED: what the SUBSCRIBE carried (`carried`, from snapshot()) is with the agent;
   * anything created after it was built (a task ending during the reconnection) is POSTed
   * now, in order.
   */
  onSubscribed(carried: UpdateSnapshot): void {
    this.#reset();
    this.#posting = true;
    for (const pending of this.#unacknowledged.values()) if (!carried.keys.has(pending.key)) this.#enqueue(pending);
  }

  onDisconnected(): void {
    this.#reset();
    this.#posting = false;
  }

  #reset(): void {
    this.#generation++;
    this.#queues.clear();
    for (const t of this.#retryTimers.values()) this.#clock.clearTimeout(t);
    this.#retryTimers.clear();
  }

  #pump(taskId: string, generation: number, backoff: ExponentialBackoff): void {
    const queue = this.#queues.get(taskId);
    // Skip updates acknowledged meanwhile (ACKNOWLEDGED can beat the 202 of its POST).
    while (queue && queue.length > 0 && !this.#unacknowledged.has(queue[0]!.key)) queue.shift();
    if (!queue || queue.length === 0) {
      this.#queues.delete(taskId);
      return;
    }
    const head = queue[0]!;
    this.#post({ status: head.status }).then(
      () => {
        if (generation !== this.#generation) return;
        queue.shift();
        backoff.reset();
        this.#pump(taskId, generation, backoff);
      },
      (err: unknown) => {
        if (generation !== this.#generation) return;
        const delay = backoff.next();
        this.#logger.warn(
          { err, taskId, state: head.status.state, uuid: head.key, retryInMs: Math.round(delay) },
          'status update was not accepted by the agent; retrying',
        );
        this.#retryTimers.set(
          taskId,
          this.#clock.setTimeout(() => {
            this.#retryTimers.delete(taskId);
            if (generation === this.#generation) this.#pump(taskId, generation, backoff);
          }, delay),
        );
      },
    );
  }
}
