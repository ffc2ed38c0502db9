// ACL decisions as tables: which principal may run sessions as which user (`users`), and
// how a bad `users` entry is refused when the file is read.
import t from 'tap';
import { mayRunAs, parseAcl } from '../../switchboard/acl.js';

const acl = parseAcl(
  {
    principals: {
      ops: { calls: ['*'], tasks: ['*'], users: ['nobody', 'app-*', 'svc?'] },
      dev: { calls: ['*'], tasks: ['*'] },
      none: { calls: ['*'], tasks: ['*'], users: [] },
    },
  },
  'test acl',
);

t.test('mayRunAs: the task user needs no grant, any other a matching "users" pattern', async (t) => {
  const cases: [principal: string, user: string, taskUser: string, allowed: boolean, why: string][] = [
    ['dev', 'nobody', 'nobody', true, "the task's own user"],
    ['dev', 'root', 'nobody', false, 'no users grant: not root'],
    ['none', 'root', 'nobody', false, 'an empty users list grants nothing'],
    ['ops', 'nobody', 'root', true, 'exact name'],
    ['ops', 'app-web', 'root', true, 'glob app-*'],
    ['ops', 'svc1', 'root', true, 'glob svc?'],
    ['ops', 'svc12', 'root', false, '? is one character'],
    ['ops', 'root', 'nobody', false, 'root is not in the grant'],
    ['ops', 'nobody2', 'root', false, 'patterns match the whole name'],
    ['stranger', 'nobody', 'root', false, 'principal not in the file'],
  ];
  for (const [principal, user, taskUser, allowed, why] of cases) {
    t.equal(mayRunAs(acl, principal, user, taskUser), allowed, `${principal} as ${user} in a ${taskUser} task: ${allowed ? 'allowed' : 'refused'} (${why})`);
  }
  t.equal(mayRunAs(undefined, 'anyone', 'root', 'nobody'), false, 'no ACL file: nobody may switch users');
  t.equal(mayRunAs(undefined, 'anyone', 'nobody', 'nobody'), true, "no ACL file: the task's user is fine");
});

t.test('parseAcl: "users" must be an array of non-empty names or patterns', async (t) => {
  for (const users of ['root', [1], [''], {}]) {
    t.throws(() => parseAcl({ principals: { p: { calls: ['*'], tasks: ['*'], users } } }, 'acl.json'), { code: 'E_SWITCHBOARD_CONFIG', message: 'acl.json: principals.p.users must be an array of user-name patterns' }, `users: ${JSON.stringify(users)}`);
  }
  t.same(parseAcl({ principals: { p: { calls: ['*'], tasks: ['*'] } } }, 'acl.json').principals.p, { calls: ['*'], tasks: ['*'] }, 'no users: no grant recorded');
});
