// User lookup through the name service (getent), not by reading /etc/passwd: a user that
// only LDAP/SSSD knows is found exactly as Mesos' getpwnam(3) would find it. The lookup is
// injected, so a directory-only user is a table row; two rows use the real getent.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { LaunchError } from '../../common/errors.js';
import { getentPasswd, parsePasswdEntry, resolveUser, runAs, type PasswdLookup } from '../../process/user.js';
import { userInfo } from 'node:os';

t.test('parsePasswdEntry: the fields of a getent passwd line', async (t) => {
  const cases: Array<[string, string, string, ReturnType<typeof parsePasswdEntry>]> = [
    ['an LDAP user absent from /etc/passwd', 'alice', 'alice:*:120034:5000:Alice A.:/home/alice:/bin/zsh\n', { name: 'alice', uid: 120034, gid: 5000, home: '/home/alice', shell: '/bin/zsh' }],
    ['empty gecos and shell', 'svc', 'svc:x:998:998::/var/lib/svc:\n', { name: 'svc', uid: 998, gid: 998, home: '/var/lib/svc', shell: '' }],
    ['another name only', 'bob', 'bobby:x:1:1::/:/bin/sh\n', undefined],
    ['too few fields', 'bob', 'bob:x:1:1\n', undefined],
    ['no output', 'bob', '', undefined],
  ];
  for (const [what, name, text, expected] of cases) t.same(parsePasswdEntry(name, text), expected, what);
  t.throws(() => parsePasswdEntry('eve', 'eve:x:abc:1::/:/bin/sh\n'), /Failed to get user information for 'eve': malformed passwd entry/, 'a non-numeric uid is refused, never NaN');
  t.throws(() => parsePasswdEntry('eve', 'eve:x::1::/:/bin/sh\n'), /malformed passwd entry/, 'an empty uid is refused, never uid 0');
});

t.test('resolveUser goes through the injected name service', async (t) => {
  const asked: string[] = [];
  const directory: PasswdLookup = (name) => {
    asked.push(name);
    return name === 'alice' ? 'alice:*:120034:5000::/home/alice:/bin/bash\n' : undefined;
  };
  t.notMatch(readFileSync('/etc/passwd', 'utf8'), /^alice:/m, 'alice is not a local user');
  t.same(resolveUser('alice', directory), { name: 'alice', uid: 120034, gid: 5000, home: '/home/alice', shell: '/bin/bash' });
  const err = t.throws(() => resolveUser('mallory', directory)) as LaunchError;
  t.ok(err instanceof LaunchError);
  t.equal(err.message, "Failed to get user information for 'mallory': no such user", 'the error text of today');
  t.same(asked, ['alice', 'mallory'], 'asked every time: nothing cached');
});

t.test('the real getent: root resolves, a nonexistent user gives the no-such-user error', async (t) => {
  t.match(resolveUser('root'), { name: 'root', uid: 0, gid: 0 });
  t.equal(getentPasswd('mesos-sidecar-no-such-user'), undefined, 'getent exit 2 is "not found", not a failure');
  t.throws(() => resolveUser('mesos-sidecar-no-such-user'), { message: "Failed to get user information for 'mesos-sidecar-no-such-user': no such user" });
  t.throws(() => resolveUser('-x'), { message: "Failed to get user information for '-x': no such user" }, 'a name like an option is a name, not a getent option');
});

t.test('runAs: another user gets its ids, HOME and USER; ourselves or nobody named leaves the environment alone', async (t) => {
  const env = { HOME: '/sandbox', USER: 'executor', PATH: '/bin' };
  t.same(runAs(undefined, env), {}, 'no user: run as the executor');
  t.same(runAs(userInfo().username, env), {}, 'the executor itself');
  t.same(env, { HOME: '/sandbox', USER: 'executor', PATH: '/bin' }, 'untouched');
  if (process.getuid?.() === 0) {
    t.same(runAs('nobody', env), { uid: resolveUser('nobody').uid, gid: resolveUser('nobody').gid });
    t.same(env, { HOME: resolveUser('nobody').home, USER: 'nobody', PATH: '/bin' }, 'a login-like HOME and USER');
  } else {
    // input: another user while not root → error: LaunchError naming both users
    t.throws(() => runAs('nobody', env), { code: 'E_LAUNCH', message: /cannot run as user 'nobody': the executor runs as '.*', not root/ });
  }
  // input: an unknown user → error: the no-such-user LaunchError, environment untouched
  const before = { ...env };
  t.throws(() => runAs('mesos-sidecar-no-such-user', env), { code: 'E_LAUNCH', message: /no such user/ });
  t.same(env, before);
});
