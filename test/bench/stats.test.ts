// How quiet the machine was: the hypervisor's steal time beside the load average.
import t from 'tap';
import { cpuTimes, idleShare, machineBefore, parseCpuTimes, runMeta, stealShare } from '../../bench/stats.js';

const procStat = (steal: number, idle: number) => `cpu  100 5 50 ${idle} 3 0 2 ${steal} 7 0\ncpu0 50 2 25 ${idle / 2} 1 0 1 ${steal / 2} 3 0\nintr 12345\n`;

t.test('the aggregate cpu line: all eight columns in the total, guest time not counted twice', async (t) => {
  t.same(parseCpuTimes(procStat(40, 800)), { total: 100 + 5 + 50 + 800 + 3 + 0 + 2 + 40, idle: 800 + 3, steal: 40 });
  t.equal(parseCpuTimes('cpu  1 2 3 4 5 6 7\n'), undefined, 'a kernel without the steal column: no figure rather than a wrong one');
  t.equal(parseCpuTimes('cpu0 1 2 3 4 5 6 7 8\n'), undefined, 'only per-core lines: no aggregate, no figure');
  t.equal(parseCpuTimes(''), undefined);
});

t.test('steal share between two readings', async (t) => {
  const before = parseCpuTimes(procStat(40, 800))!;
  // 200 ticks pass, 50 of them stolen.
  t.equal(stealShare(before, parseCpuTimes(procStat(90, 950))!), 0.25);
  t.equal(stealShare(before, before), undefined, 'no time passed: no share');
  t.equal(stealShare(undefined, before), undefined, 'no first reading: no share');
});

t.test('idle share between two readings: idle and iowait, of all the time that passed', async (t) => {
  const before = parseCpuTimes(procStat(40, 800))!;
  // 200 ticks pass: 150 idle, 50 stolen.
  t.equal(idleShare(before, parseCpuTimes(procStat(90, 950))!), 0.75);
  t.equal(idleShare(before, before), undefined, 'no time passed: no share');
  t.equal(idleShare(undefined, before), undefined, 'no first reading: no share');
});

t.test('runMeta records the steal share of the suite next to the load average', async (t) => {
  const before = machineBefore();
  // The benches run on Linux agents: a machine without the figure fails here, saying so.
  if (!before.cpu) {
    t.fail('/proc/stat has no aggregate cpu line with a steal column on this machine');
    return;
  }
  // A share needs at least one clock tick between the readings (10 ms a core at most).
  while (cpuTimes()?.total === before.cpu.total);
  const meta = runMeta(new Date(), 'x', before);
  t.ok(meta.loadAverage, 'load average before and after');
  t.ok(typeof meta.stealShare === 'number' && (meta.stealShare as number) >= 0 && (meta.stealShare as number) <= 1, `steal share ${String(meta.stealShare)} within 0..1`);
  t.notOk('stealShare' in runMeta(new Date(), 'x'), 'without a reading at the start nothing is claimed');
});
