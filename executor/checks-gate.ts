// The checks-loading gate: the checks engine is a large module, so the entry point may hand
// it over as a promise (loading while the executor subscribes) or as a loader called when the
// first task that declares checks arrives (an executor whose tasks have none never pays for
// it). Until it is there, every event waits, in arrival order, so that a LAUNCH is parsed
// with the engine and a KILL after it still finds its task.
import type { Logger } from '../common/logger.js';
import type { TaskCheckFactory } from '../contracts/checks.js';
import type { executor } from '../proto/codec.js';
import { launchNeedsChecks } from './check-updates.js';

export type CheckFactorySource = TaskCheckFactory | Promise<TaskCheckFactory | undefined> | (() => Promise<TaskCheckFactory | undefined>);

export interface ChecksGateOptions {
  source: CheckFactorySource | undefined;
  /** Handles one event; called in arrival order, never while the engine is loading. */
  deliver(event: executor.Event): void;
  /** True once the executor is gone: held events are dropped then. */
  stopped(): boolean;
  log: Logger;
}

export class ChecksGate {
  readonly #options: ChecksGateOptions;
  #factory: TaskCheckFactory | undefined;
  /** Loads the engine on first need; unset once loading started. */
  #load: (() => Promise<TaskCheckFactory | undefined>) | undefined;
  /** Events that arrived while the engine was loading, in arrival order; unset when not loading. */
  #held: executor.Event[] | undefined;

  constructor(options: ChecksGateOptions) {
    this.#options = options;
    const source = options.source;
    if (source instanceof Promise) this.#await(source);
    else if (typeof source === 'function') this.#load = source;
    else this.#factory = source;
  }

  /** The engine, once loaded; undefined without one (tasks then run unchecked). */
  get factory(): TaskCheckFactory | undefined {
    return this.#factory;
  }

  offer(event: executor.Event): void {
    if (!this.#held && this.#load && launchNeedsChecks(event)) {
      const load = this.#load;
      this.#load = undefined;
      this.#await(Promise.resolve().then(load));
    }
    if (!this.#held) return this.#options.deliver(event);
    this.#options.log.debug({ type: event.type }, 'event held until the checks engine has loaded');
    this.#held.push(event);
  }

  #await(factory: Promise<TaskCheckFactory | undefined>): void {
    this.#held = [];
    factory.then(
      (f) => this.#loaded(f),
      (err: unknown) => {
        this.#options.log.error({ err }, 'checks engine failed to load; tasks run without checks');
        this.#loaded(undefined);
      },
    );
  }

  #loaded(factory: TaskCheckFactory | undefined): void {
    this.#factory = factory;
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const event of held) {
      if (this.#options.stopped()) return;
      this.#options.deliver(event);
    }
  }
}
