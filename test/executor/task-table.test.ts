// TaskTable step by step: lookups by task id and container id, the live set, and forgetting
// the oldest acknowledged terminated tasks beyond `kept` (never a live one, never one whose
// terminal update is still outstanding).
import t from 'tap';
import { TaskTable } from '../../executor/task-table.js';

const task = (id: string) => ({ taskId: id, containerId: { value: `ctr-${id}` } });

t.test('add, look up, terminate: live and terminated counts follow', async (t) => {
  const table = new TaskTable<ReturnType<typeof task>>(10);
  t.equal(table.everAdded, false, 'an executor that never had a task waits for one');
  const [a, b, refused] = [task('a'), task('b'), task('refused')];
  table.add(a, true);
  table.add(b, true);
  table.add(refused, false);
  t.equal(table.everAdded, true);
  t.equal(table.get('a'), a);
  t.equal(table.byContainer('ctr-b'), b);
  t.equal(table.has('nope'), false);
  t.same([...table.live()], [a, b], 'a task refused at the edge is never live');
  t.equal(table.terminatedCount, 1);
  table.terminated(a);
  t.same([...table.live()], [b]);
  t.equal(table.terminatedCount, 2);
  t.same([...table.all()].map((x) => x.taskId), ['a', 'b', 'refused'], 'all, in launch order');
  t.throws(() => table.add(task('a'), true), /task a is already in the table/, 'a second task with the same id is our bug');
});

t.test('forgetting: oldest acknowledged first, only beyond kept, never a live task', async (t) => {
  const table = new TaskTable<ReturnType<typeof task>>(2);
  const tasks = ['t1', 't2', 't3', 't4'].map(task);
  for (const x of tasks) table.add(x, true);
  const [t1, t2, t3, t4] = tasks as [ReturnType<typeof task>, ReturnType<typeof task>, ReturnType<typeof task>, ReturnType<typeof task>];
  // Step: input → what is forgotten.
  table.mayForget(t1);
  t.same(table.forgetOld(), [], 'a live task is never forgettable');
  for (const x of [t1, t2, t3]) table.terminated(x);
  table.mayForget(t2);
  t.same(table.forgetOld(), [t2], '3 terminated, kept 2: the one acknowledged goes');
  t.equal(table.get('t2'), undefined);
  t.equal(table.byContainer('ctr-t2'), undefined, 'gone by container id too');
  t.same(table.forgetOld(), [], 'down to kept');
  table.terminated(t4);
  table.mayForget(t3);
  table.mayForget(t1);
  t.same(table.forgetOld(), [t3], 'acknowledged order, not launch order; stops at kept');
  t.same([...table.all()], [t1, t4]);
  t.equal(table.terminatedCount, 2);
  table.mayForget(task('t4'));
  t.same(table.forgetOld(), [], 'a look-alike with the same id is not the remembered task');
});
