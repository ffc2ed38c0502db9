// User lookup through the name service (getent), not by reading /etc/passwd: a user that
// only LDAP/SSSD knows is found exactly as Mesos' getpwnam(3) would find it. The lookup is
// injected, so a directory-only user is a table row; two rows use the real getent.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { LaunchError } from '../../common/errors.js';
import { getentPasswd, parsePasswdEntry, resolveUser, type PasswdLookup } from '../../common/process.js';

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
