// Soak: the agent restarts again and again while updates are unacknowledged, a check
// flaps, and tasks are launched and killed throughout, through the real executor process
// and wire (both encodings). Asserted: 0 lost (every task reaches its terminal update),
// 0 duplicated after acknowledgement (an update whose ACK the executor processed is never
// carried again), order kept per task, and long tasks keep their PID across restarts.
// make test: 3 restarts per encoding; make soak: 100 per encoding.
import t from 'tap';
import path from 'node:path';
import { isTerminalState } from '../../proto/task-state.js';
import type { executor, mesos } from '../../proto/codec.js';
import { bySuiteScale, fuzzSeed, seededRandom, writeSuiteResult } from '../helpers/suite.js';
import { alive, ENCODINGS, fixture, shellTask, startExecutor, uniqueId } from '../helpers/tasks.js';
import { waitForFile, within } from '../helpers/wait.js';

const RESTARTS = bySuiteScale(3, 100);
const LONG_TASKS = 3;
/** Where a state may come in a task's life; check updates repeat TASK_RUNNING. */
const RANK: Record<string, number> = { TASK_STARTING: 0, TASK_RUNNING: 1, TASK_KILLING: 2 };
const rank = (state: mesos.TaskState): number => RANK[state] ?? (isTerminalState(state) ? 3 : -1);

const key = (s: mesos.TaskStatus): string => s.uuid!.toString('hex');
const results: Record<string, unknown> = {};
const started = new Date();

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: ${RESTARTS} agent restarts with unacknowledged updates, a flapping check, tasks coming and going`, async (t) => {
    const seed = fuzzSeed();
    t.comment(`seed ${seed} (SIDECAR_FUZZ_SEED=${seed} replays it)`);
    const random = seededRandom(seed);
    const { agent, exec } = await startExecutor(t, encoding, { autoAcknowledge: false, subscriptionBackoffMax: '50ms' }, { MESOS_SIDECAR_LOG_LEVEL: 'info' });
    const launched: string[] = [];
    const acked = new Set<string>();
    /** ACKs the executor is known to have processed (an event sent after them was handled). */
    const ackProcessed = new Set<string>();
    let carriedAfterAck = 0;
    let resentAfterAck = 0;
    agent.on('update', (u) => u.duplicate && ackProcessed.has(key(u.status)) && resentAfterAck++);
    let subscribes = 0;
    agent.on('subscribe', (call: executor.Call) => {
      subscribes++;
      for (const u of call.subscribe?.unacknowledged_updates ?? []) if (ackProcessed.has(key(u.status))) carriedAfterAck++;
    });

    const launch = (id: string, task: mesos.TaskInfo): void => {
      launched.push(id);
      agent.launch(task);
    };
    const longIds = Array.from({ length: LONG_TASKS }, () => uniqueId(`long-${encoding}`));
    for (const [i, id] of longIds.entries()) {
      // One of them flaps: its check fails and succeeds by turns (odd / even tenths of a second).
      const check: mesos.CheckInfo | undefined =
        i === 0 ? { type: 'COMMAND', command: { command: { value: 'test $(( $(date +%s%1N) % 2 )) -eq 0', shell: true } }, delay_seconds: 0, interval_seconds: 0.1, timeout_seconds: 5 } : undefined;
      launch(id, shellTask(id, `exec ${fixture('sleeper.sh')}`, check ? { check } : {}));
    }
    const pids = await Promise.all(longIds.map(async (id) => Number(await waitForFile(path.join(agent.sandbox, 'tasks', id, 'pid')))));
    let sleepers: string[] = [];

    /** Everything sent before it has been handled by the executor once this resolves. */
    const barrier = async (): Promise<void> => {
      const id = uniqueId(`barrier-${encoding}`);
      const first = agent.waitForUpdate((s) => s.task_id.value === id);
      launch(id, shellTask(id, 'true'));
      await within(first, 20_000, `first update of ${id}`);
    };
    const ackSome = (p: number): string[] => {
      const now: string[] = [];
      for (const u of agent.updates) {
        const k = key(u.status);
        if (acked.has(k) || random() >= p) continue;
        acked.add(k);
        now.push(k);
        agent.acknowledge(u.status.uuid!);
      }
      return now;
    };

    for (let round = 0; round < RESTARTS; round++) {
      // Tasks come and go: a new sleeper now and then, an older one killed.
      if (random() < 0.7) {
        const id = uniqueId(`short-${encoding}`);
        sleepers.push(id);
        launch(id, shellTask(id, `exec ${fixture('sleeper.sh')}`));
      }
      if (sleepers.length > 2 || (sleepers.length > 0 && random() < 0.3)) agent.kill(sleepers.shift()!, 0);
      const justAcked = ackSome(0.5);
      await barrier();
      for (const k of justAcked) ackProcessed.add(k);
      const again = agent.waitForSubscribed();
      await agent.restart({ downMs: Math.floor(random() * 30) });
      await within(again, 20_000, `re-subscription after restart ${round + 1}`);
    }

    // The end: acknowledge everything from now on, kill what runs, wait for every terminal.
    agent.on('update', (u) => !acked.has(key(u.status)) && (acked.add(key(u.status)), agent.acknowledge(u.status.uuid!)));
    ackSome(1);
    for (const [i, id] of longIds.entries()) t.ok(alive(pids[i]!), `long task ${id} still runs as pid ${pids[i]}`);
    for (const id of [...longIds, ...sleepers]) agent.kill(id);
    const terminals = await within(Promise.all(launched.map((id) => agent.waitForTerminal(id))), 60_000, 'every terminal update');
    t.same(await within(exec.exited, 30_000, 'executor exit'), { code: 0, signal: null });

    const lost = launched.filter((_, i) => terminals[i] === undefined);
    t.same(lost, [], '0 lost: every task launched reached a terminal update');
    const longEnds = longIds.map((id) => terminals[launched.indexOf(id)]!);
    t.same(longEnds.map((s) => s.message), longIds.map(() => 'Command terminated with signal Terminated'), 'long tasks ran until the final KILL (same process throughout)');
    t.equal(carriedAfterAck, 0, '0 duplicated after ack: no SUBSCRIBE carried an update whose ACK the executor had processed');
    t.equal(resentAfterAck, 0, 'and no such update reached the agent again');
    const outOfOrder: string[] = [];
    const byTask = new Map<string, mesos.TaskStatus[]>();
    for (const u of agent.updates) if (!u.duplicate) byTask.set(u.status.task_id.value, [...(byTask.get(u.status.task_id.value) ?? []), u.status]);
    for (const [id, states] of byTask) {
      for (let i = 1; i < states.length; i++) {
        if (rank(states[i]!.state) < rank(states[i - 1]!.state) || states[i]!.timestamp! < states[i - 1]!.timestamp! || isTerminalState(states[i - 1]!.state)) {
          outOfOrder.push(`${id}: ${states.map((s) => s.state).join(',')}`);
          break;
        }
      }
    }
    t.same(outOfOrder, [], 'order kept: per task, updates arrived in the order they were made, terminal last');
    const flaps = (byTask.get(longIds[0]!) ?? []).filter((s) => s.check_status?.command?.exit_code !== undefined).length;
    t.ok(flaps >= 1, `the flapping check reported ${flaps} results`);
    results[encoding] = {
      seed,
      restarts: RESTARTS,
      subscribes,
      tasks: launched.length,
      updates: agent.updates.length,
      resentUnacknowledged: agent.updates.filter((u) => u.duplicate).length,
      checkResults: flaps,
      lost: lost.length,
      duplicatedAfterAck: resentAfterAck + carriedAfterAck,
      outOfOrder: outOfOrder.length,
    };
    t.comment(JSON.stringify(results[encoding]));
  });
}

t.teardown(() => writeSuiteResult('soak', started, results));

