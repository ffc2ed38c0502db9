// Whether the executor may wait for its agent to come back (executor-api.md §8): a pure
// transition over a tagged state, and a thin timer that feeds it the deadline. Upstream
// starts the recovery timer when a checkpointing executor loses an agent it had reached,
// cancels it as soon as the agent is reachable again, and shuts down when it fires.
import type { Clock, TimerHandle } from '../common/clock.js';

export type RecoveryState =
  /** The agent is reachable (or has not been lost yet). */
  | { kind: 'connected' }
  /** Lost after having been reached; tasks keep running until `deadline` (Clock.monotonic ms). */
  | { kind: 'recovering'; deadline: number }
  /** Final: the executor shuts down. */
  | { kind: 'gave-up'; reason: string };

export type RecoveryInput =
  /** TCP to the agent is up again (upstream's `connected` callback). */
  | { kind: 'reachable' }
  /** The connection attempt ended; `reached` says whether the agent was reachable in it. */
  | { kind: 'disconnected'; reached: boolean; reason: string }
  | { kind: 'deadline-passed' };

export type RecoveryAction =
  | { kind: 'none' }
  /** Try again after the next backoff delay (`fresh`: recovery starts, restart the backoff). */
  | { kind: 'reconnect'; fresh: boolean; reason: string }
  | { kind: 'shut-down'; reason: string };

export interface RecoveryPolicy {
  /** MESOS_CHECKPOINT: without it a lost agent ends the executor at once. */
  checkpoint: boolean;
  recoveryTimeoutMs: number;
}

/** The next state and what to do, for every state × input; `now` is Clock.monotonic(). */
export function recoveryTransition(
  state: RecoveryState,
  input: RecoveryInput,
  policy: RecoveryPolicy,
  now: number,
): { state: RecoveryState; action: RecoveryAction } {
  if (state.kind === 'gave-up') return { state, action: { kind: 'none' } };
  switch (input.kind) {
    case 'reachable':
      return { state: { kind: 'connected' }, action: { kind: 'none' } };
    case 'deadline-passed': {
      // The timer's word is final: a host timer may fire a millisecond before the wall
      // clock reads the deadline, and a re-check here would leave the executor waiting forever.
      if (state.kind !== 'recovering') return { state, action: { kind: 'none' } };
      const reason = `agent did not come back within the recovery timeout (${policy.recoveryTimeoutMs} ms)`;
      return { state: { kind: 'gave-up', reason }, action: { kind: 'shut-down', reason } };
    }
    case 'disconnected': {
      if (state.kind === 'recovering') return { state, action: { kind: 'reconnect', fresh: false, reason: input.reason } };
      if (policy.checkpoint && input.reached) {
        return { state: { kind: 'recovering', deadline: now + policy.recoveryTimeoutMs }, action: { kind: 'reconnect', fresh: true, reason: input.reason } };
      }
      const reason = policy.checkpoint ? `agent never reached: ${input.reason}` : `disconnected without checkpointing: ${input.reason}`;
      return { state: { kind: 'gave-up', reason }, action: { kind: 'shut-down', reason } };
    }
  }
}

/** Holds the state, arms a timer for a `recovering` deadline and reports each action. */
export class Recovery {
  readonly #clock: Clock;
  readonly #policy: RecoveryPolicy;
  readonly #act: (action: RecoveryAction, from: RecoveryState, to: RecoveryState) => void;
  #state: RecoveryState = { kind: 'connected' };
  #timer: TimerHandle | undefined;

  constructor(clock: Clock, policy: RecoveryPolicy, act: (action: RecoveryAction, from: RecoveryState, to: RecoveryState) => void) {
    this.#clock = clock;
    this.#policy = policy;
    this.#act = act;
  }

  get state(): RecoveryState {
    return this.#state;
  }

  feed(input: RecoveryInput): void {
    const from = this.#state;
    const { state, action } = recoveryTransition(from, input, this.#policy, this.#clock.monotonic());
    this.#state = state;
    if (state !== from && from.kind === 'recovering') this.#disarm();
    if (state !== from && state.kind === 'recovering') {
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        this.feed({ kind: 'deadline-passed' });
      }, state.deadline - this.#clock.monotonic());
    }
    this.#act(action, from, state);
  }

  /** The executor is leaving for another reason: no deadline may fire afterwards. */
  stop(): void {
    this.#disarm();
  }

  #disarm(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
