// Finding the init an outer process (unshare, nsenter) forked, with real processes: from
// the kernel's child list where it has one, by parent pid otherwise.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { childCandidates, findInit, listedChildren } from '../../containerizer/launcher.js';
import { systemClock } from '../../common/clock.js';

/** `sh` that forks one `sleep` and waits for it: the outer process and its init, as in a launch. */
async function outerWithChild(t: Test): Promise<{ outerPid: number; childPid: number }> {
  const sh = spawn('/bin/sh', ['-c', 'sleep 30 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    if (sh.exitCode === null) sh.kill('SIGKILL');
  });
  const [line] = (await once(sh.stdout!, 'data')) as [Buffer];
  const childPid = Number(line.toString().trim());
  t.teardown(() => {
    try {
      process.kill(childPid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  return { outerPid: sh.pid!, childPid };
}

t.test('the kernel lists a process’s children (CONFIG_PROC_CHILDREN), and findInit returns the one there', async (t) => {
  const { outerPid, childPid } = await outerWithChild(t);
  const listed = listedChildren(outerPid);
  if (listed === undefined) t.comment('this kernel keeps no child list (/proc/<pid>/task/<pid>/children): findInit scans here');
  else t.same(listed, [childPid]);
  t.equal(await findInit(outerPid, () => false, systemClock), childPid);
});

t.test('without a child list (a kernel lacking CONFIG_PROC_CHILDREN), findInit finds the child by its parent pid', async (t) => {
  const { outerPid, childPid } = await outerWithChild(t);
  t.equal(await findInit(outerPid, () => false, systemClock, 5000, () => undefined), childPid);
});

t.test('a process that is gone has no child list, and the scan looks at 64 pids after it, all of /proc only when asked', async (t) => {
  t.equal(listedChildren(2 ** 22 + 1), undefined, 'a pid above pid_max: no such process');
  t.equal([...childCandidates(1000, false)].length, 64);
  t.same([...childCandidates(1000, false)].slice(0, 2), [1001, 1002]);
  t.ok([...childCandidates(1000, true)].includes(process.pid), 'the full scan includes every process, this one too');
});

t.test('an outer process that exited with no child: undefined, not a LaunchError at the deadline', async (t) => {
  const sh = spawn('/bin/true');
  await once(sh, 'exit');
  t.equal(await findInit(sh.pid!, () => true, systemClock), undefined);
});
