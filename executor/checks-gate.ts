// The checks-loading gate: the checks engine is a large module, so the entry point may hand
// it over as a promise (loading while the executor subscribes) or as a loader called when the
// first task that declares checks arrives (an executor whose tasks have none never pays for
// it). Until it is there, every event waits, in arrival order, so that a LAUNCH is parsed
// with the engine and a KILL after it still finds its task. Events wait the same way while
// the launcher starts (`launcherReady`: the containerizer starts while the executor
// subscribes), so a task's first update already knows the isolation it gets.
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
  /** Settles once tasks can be launched; events wait until then (a failure is the launches' to report). */
  launcherReady?: Promise<unknown> | undefined;
}

export class ChecksGate {
  readonly #options: ChecksGateOptions;
  #factory: TaskCheckFactory | undefined;
  /** Loads the engine on first need; unset once loading started. */
  #load: (() => Promise<TaskCheckFactory | undefined>) | undefined;
  /** Events that arrived while something was pending, in arrival order; unset when nothing is. */
  #held: executor.Event[] | undefined;
  /** What events wait for: the engine loading, the launcher starting. */
  #pending = 0;

  constructor(options: ChecksGateOptions) {
    this.#options = options;
    const source = options.source;
    if (source instanceof Promise) this.#await(source);
    else if (typeof source === 'function') this.#load = source;
    else this.#factory = source;
    if (options.launcherReady) this.#hold(options.launcherReady.then(() => undefined, () => undefined));
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
    this.#options.log.debug({ type: event.type }, 'event held until the checks engine and the launcher are ready');
    this.#held.push(event);
  }

  #await(factory: Promise<TaskCheckFactory | undefined>): void {
    this.#hold(
      factory.then(
        (f) => void (this.#factory = f),
        (err: unknown) => this.#options.log.error({ err }, 'checks engine failed to load; tasks run without checks'),
      ),
    );
  }

  #hold(settled: Promise<void | undefined>): void {
    this.#pending += 1;
    this.#held ??= [];
    void settled.then(() => {
      this.#pending -= 1;
      if (this.#pending > 0) return;
      const held = this.#held ?? [];
      this.#held = undefined;
      // Offered again, in order: a LAUNCH among them may start loading the engine, and the
      // events after it then wait for that.
      for (const [i, event] of held.entries()) {
        if (this.#options.stopped()) return;
        // offer() may have started holding again (TypeScript cannot see it change).
        const again = this.#held as executor.Event[] | undefined;
        if (again) {
          again.push(...held.slice(i));
          return;
        }
        this.offer(event);
      }
    });
  }
}
