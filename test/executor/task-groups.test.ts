// Task-group bookkeeping in steps, without processes: membership, one take-down per group
// (a cascade of terminal updates asks again and gets nobody), the unhealthy flag, forgetting.
import t from 'tap';
import { TaskGroups } from '../../executor/task-groups.js';

interface Member {
  name: string;
  groupId: number | undefined;
  live: boolean;
}
const member = (name: string, groupId: number | undefined, live = true): Member => ({ name, groupId, live });
const names = (ms: Member[]) => ms.map((m) => m.name);

t.test('beginKill returns the live siblings once; later calls for the same group return none', async (t) => {
  const groups = new TaskGroups<Member>();
  const g = groups.newGroup();
  const [a, b, c, done] = [member('a', g), member('b', g), member('c', g), member('done', g, false)];
  for (const m of [a, b, c, done]) groups.add(m);
  t.strictSame(names(groups.beginKill(a, false)), ['b', 'c'], 'the cause and ended members are left out');
  t.strictSame(groups.beginKill(b, false), [], 'the cascade: b ending KILLED does not kill again');
  t.notOk(groups.unhealthy(a));
});

t.test('a health kill marks the group unhealthy; other groups and ungrouped tasks are not', async (t) => {
  const groups = new TaskGroups<Member>();
  const g1 = groups.newGroup();
  const g2 = groups.newGroup();
  t.not(g1, g2, 'fresh ids');
  const [a, b, other, alone] = [member('a', g1), member('b', g1), member('other', g2), member('alone', undefined)];
  for (const m of [a, b, other, alone]) groups.add(m);
  t.strictSame(names(groups.beginKill(a, true)), ['b']);
  t.ok(groups.unhealthy(b));
  t.notOk(groups.unhealthy(other));
  t.notOk(groups.unhealthy(alone));
  t.strictSame(groups.beginKill(alone, true), [], 'an ungrouped task takes nobody down');
  t.notOk(groups.unhealthy(alone));
});

t.test('findEnded finds a member of this group that is no longer live', async (t) => {
  const groups = new TaskGroups<Member>();
  const g = groups.newGroup();
  const refused = member('refused', g, false);
  t.equal(groups.findEnded([member('x', g), undefined, member('y', 99, false), refused], g), refused);
  t.equal(groups.findEnded([member('x', g)], g), undefined);
});

t.test('forget: the last member out clears the group, so a reused id would start clean', async (t) => {
  const groups = new TaskGroups<Member>();
  const g = groups.newGroup();
  const [a, b] = [member('a', g), member('b', g)];
  groups.add(a);
  groups.add(b);
  groups.beginKill(a, true);
  groups.forget(a);
  t.ok(groups.unhealthy(b), 'one member left: flags kept');
  groups.forget(b);
  t.notOk(groups.unhealthy(b), 'group gone');
  const c = member('c', g);
  groups.add(c);
  t.strictSame(groups.beginKill(member('d', g), false), [c], 'no stale "already killing" flag');
});
