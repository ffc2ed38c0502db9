// The recovery decision (executor-api.md §8) as a table over state × input, and its timer
// on a ManualClock.
import t from 'tap';
import { ManualClock } from '../../common/clock.js';
import { Recovery, recoveryTransition, type RecoveryAction, type RecoveryInput, type RecoveryState } from '../../executor/recovery.js';

const NOW = 1_000;
const TIMEOUT = 900_000;
const checkpointing = { checkpoint: true, recoveryTimeoutMs: TIMEOUT };
const volatile = { checkpoint: false, recoveryTimeoutMs: TIMEOUT };
const connected: RecoveryState = { kind: 'connected' };
const recovering: RecoveryState = { kind: 'recovering', deadline: NOW + 10 };
const gaveUp: RecoveryState = { kind: 'gave-up', reason: 'earlier' };
const lost = (reached: boolean): RecoveryInput => ({ kind: 'disconnected', reached, reason: 'event stream ended' });

const rows: Array<[string, RecoveryState, RecoveryInput, typeof checkpointing, RecoveryState['kind'], RecoveryAction['kind'], boolean?]> = [
  ['reachable agent after a disconnection cancels recovery', recovering, { kind: 'reachable' }, checkpointing, 'connected', 'none'],
  ['reachable while connected changes nothing', connected, { kind: 'reachable' }, checkpointing, 'connected', 'none'],
  ['checkpointing, reached agent lost: recover with a fresh backoff', connected, lost(true), checkpointing, 'recovering', 'reconnect', true],
  ['checkpointing, agent never reached: give up', connected, lost(false), checkpointing, 'gave-up', 'shut-down'],
  ['no checkpointing: any disconnection gives up', connected, lost(true), volatile, 'gave-up', 'shut-down'],
  ['a failed attempt while recovering: retry, deadline kept', recovering, lost(false), checkpointing, 'recovering', 'reconnect', false],
  ['deadline passed while recovering: give up', recovering, { kind: 'deadline-passed' }, checkpointing, 'gave-up', 'shut-down'],
  ['a stale deadline while connected is ignored', connected, { kind: 'deadline-passed' }, checkpointing, 'connected', 'none'],
  ['gave-up is final (reachable)', gaveUp, { kind: 'reachable' }, checkpointing, 'gave-up', 'none'],
  ['gave-up is final (disconnected)', gaveUp, lost(true), checkpointing, 'gave-up', 'none'],
];

for (const [name, from, input, policy, to, action, fresh] of rows) {
  t.test(name, async (t) => {
    const next = recoveryTransition(from, input, policy, NOW + 10);
    t.equal(next.state.kind, to);
    t.equal(next.action.kind, action);
    if (next.action.kind === 'reconnect') t.equal(next.action.fresh, fresh);
  });
}

t.test('the deadline is now + MESOS_RECOVERY_TIMEOUT and is not moved by later failed attempts', async (t) => {
  const first = recoveryTransition(connected, lost(true), checkpointing, NOW);
  t.same(first.state, { kind: 'recovering', deadline: NOW + TIMEOUT });
  const again = recoveryTransition(first.state, lost(false), checkpointing, NOW + 5_000);
  t.same(again.state, first.state);
  // Input: the deadline timer firing when the wall clock still reads 1 ms before the
  // deadline (Node timers may). Error before: ignored, and nothing ever fired again.
  t.equal(recoveryTransition(first.state, { kind: 'deadline-passed' }, checkpointing, NOW + TIMEOUT - 1).state.kind, 'gave-up', 'the timer decides, not a clock re-read');
});

t.test('Recovery: the timer fires the give-up at the deadline, and reaching the agent disarms it', async (t) => {
  const clock = new ManualClock(NOW);
  const actions: string[] = [];
  const recovery = new Recovery(clock, { checkpoint: true, recoveryTimeoutMs: 500 }, (a, from, to) => actions.push(`${from.kind}->${to.kind}:${a.kind}`));
  recovery.feed(lost(true));
  clock.advance(400);
  recovery.feed({ kind: 'reachable' });
  t.equal(clock.pending, 0, 'no timer left once the agent is reachable');
  recovery.feed(lost(true));
  clock.advance(499);
  t.equal(recovery.state.kind, 'recovering', 'a new outage gets a full timeout');
  clock.advance(1);
  t.same(actions, ['connected->recovering:reconnect', 'recovering->connected:none', 'connected->recovering:reconnect', 'recovering->gave-up:shut-down']);
  recovery.feed(lost(true));
  t.equal(recovery.state.kind, 'gave-up');
  t.equal(clock.pending, 0);
});

t.test('Recovery.stop(): no deadline fires after the executor left for another reason', async (t) => {
  const clock = new ManualClock(NOW);
  const actions: string[] = [];
  const recovery = new Recovery(clock, checkpointing, (a) => actions.push(a.kind));
  recovery.feed(lost(true));
  recovery.stop();
  clock.advance(TIMEOUT);
  t.same(actions, ['reconnect']);
});
