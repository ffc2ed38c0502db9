// ChecksGate step by step: which events are delivered at once, which are held while the
// checks engine loads, in what order they come out, and what happens when loading fails.
import t from 'tap';
import { createLogger } from '../../common/logger.js';
import type { TaskCheckFactory } from '../../contracts/checks.js';
import type { executor } from '../../proto/codec.js';
import { ChecksGate, type CheckFactorySource } from '../../executor/checks-gate.js';
import { shellTask } from '../helpers/tasks.js';

const log = createLogger({ name: 'gate', level: 'silent' });
const factory: TaskCheckFactory = { parse: () => ({ ok: true, definitions: {} }), create: () => undefined };
const heartbeat: executor.Event = { type: 'HEARTBEAT' };
const plain: executor.Event = { type: 'LAUNCH', launch: { task: shellTask('plain', 'true') } };
const checked: executor.Event = { type: 'LAUNCH', launch: { task: shellTask('checked', 'true', { check: { type: 'TCP', tcp: { port: 1 } } }) } };
const kill: executor.Event = { type: 'KILL', kill: { task_id: { value: 'checked' } } };
const flush = () => new Promise<void>((r) => setImmediate(r));

function gate(source: CheckFactorySource | undefined, stopped = () => false, launcherReady?: Promise<unknown>) {
  const delivered: string[] = [];
  const name = (e: executor.Event) => (e.type === 'LAUNCH' ? `LAUNCH ${e.launch!.task.task_id.value}` : e.type!);
  const g = new ChecksGate({ source, deliver: (e) => delivered.push(`${name(e)} (factory: ${g.factory ? 'yes' : 'no'})`), stopped, log, launcherReady });
  return { g, delivered };
}

t.test('a factory given as is: every event at once', async (t) => {
  const { g, delivered } = gate(factory);
  g.offer(checked);
  t.same(delivered, ['LAUNCH checked (factory: yes)']);
});

t.test('a promise: every event held, in order, until it resolves', async (t) => {
  let provide!: (f: TaskCheckFactory) => void;
  const { g, delivered } = gate(new Promise<TaskCheckFactory>((r) => (provide = r)));
  for (const e of [heartbeat, checked, kill]) g.offer(e);
  await flush();
  t.same(delivered, [], 'nothing while loading');
  provide(factory);
  await flush();
  t.same(delivered, ['HEARTBEAT (factory: yes)', 'LAUNCH checked (factory: yes)', 'KILL (factory: yes)']);
  g.offer(heartbeat);
  t.same(delivered.length, 4, 'after loading, at once');
});

t.test('a loader: called only by the first LAUNCH that declares checks; that and later events wait', async (t) => {
  let calls = 0;
  let provide!: (f: TaskCheckFactory) => void;
  const { g, delivered } = gate(() => {
    calls++;
    return new Promise<TaskCheckFactory>((r) => (provide = r));
  });
  g.offer(plain);
  t.same(delivered, ['LAUNCH plain (factory: no)'], 'a task without checks does not load the engine');
  g.offer(checked);
  g.offer(kill);
  await flush();
  t.equal(calls, 1);
  t.same(delivered.length, 1, 'held while loading');
  provide(factory);
  await flush();
  t.same(delivered.slice(1), ['LAUNCH checked (factory: yes)', 'KILL (factory: yes)']);
  g.offer(checked);
  t.equal(calls, 1, 'loaded once');
});

t.test('a load that fails: the held events go on, without a factory (tasks run unchecked)', async (t) => {
  const { g, delivered } = gate(Promise.reject(new Error('cannot load')));
  g.offer(checked);
  await flush();
  t.same(delivered, ['LAUNCH checked (factory: no)']);
});

t.test('an executor gone while loading: held events are dropped', async (t) => {
  let gone = false;
  let provide!: (f: TaskCheckFactory) => void;
  const { g, delivered } = gate(new Promise<TaskCheckFactory>((r) => (provide = r)), () => gone);
  g.offer(checked);
  gone = true;
  provide(factory);
  await flush();
  t.same(delivered, []);
});

t.test('a launcher still starting: every event held, in order; a LAUNCH with checks among them then loads the engine, and the rest wait for it', async (t) => {
  let started!: () => void;
  let provide!: (f: TaskCheckFactory) => void;
  let calls = 0;
  const { g, delivered } = gate(
    () => {
      calls++;
      return new Promise<TaskCheckFactory>((r) => (provide = r));
    },
    () => false,
    new Promise<void>((r) => (started = r)),
  );
  for (const e of [heartbeat, plain, checked, kill]) g.offer(e);
  await flush();
  t.same(delivered, [], 'nothing while the launcher starts');
  t.equal(calls, 0, 'the engine is not loaded before it is needed');
  started();
  await flush();
  t.same(delivered, ['HEARTBEAT (factory: no)', 'LAUNCH plain (factory: no)'], 'up to the LAUNCH that needs the engine');
  t.equal(calls, 1);
  provide(factory);
  await flush();
  t.same(delivered.slice(2), ['LAUNCH checked (factory: yes)', 'KILL (factory: yes)'], 'then the rest, in order');
});

t.test('a launcher that failed to start: events still come out (the launches report the failure)', async (t) => {
  const { g, delivered } = gate(factory, () => false, Promise.reject(new Error('no containerizer')));
  g.offer(plain);
  await flush();
  t.same(delivered, ['LAUNCH plain (factory: yes)']);
});
