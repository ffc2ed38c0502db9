// bench/checks' measuring rules: warm-up until steady, rounds combined.
import t from 'tap';
import { combineRounds, roundSizes, warmUpState, type WarmUpRule } from '../../bench/checks/per-probe.js';

const rule: WarmUpRule = { batch: 500, minProbes: 2000, maxProbes: 5000, window: 3, spread: 1.3 };

t.test('warm-up: steady once the last batches agree after the minimum, else on until the limit', async (t) => {
  // CPU ms per probe of each batch of 500, as measured while V8 compiles the probe's code.
  const cases: Array<[string, number[], string]> = [
    ['too few probes, however flat', [0.06, 0.06, 0.06], 'continue'],
    ['the compiler still running', [0.125, 0.23, 0.17, 0.11], 'continue'],
    ['the JIT curve settling', [0.125, 0.23, 0.17, 0.11, 0.065, 0.06, 0.058], 'steady'],
    ['two agree, the window wants three', [0.23, 0.17, 0.06, 0.06], 'continue'],
    ['noise past the limit', [0.1, 0.2, 0.1, 0.2, 0.1, 0.2, 0.1, 0.2, 0.1, 0.2], 'limit'],
    ['steady at the limit is steady', [0.2, 0.1, 0.2, 0.1, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1], 'steady'],
  ];
  for (const [what, batches, state] of cases) t.equal(warmUpState(batches, rule), state, what);
});

t.test('rounds: per-probe figures weighted by probes, probes and named counts summed', async (t) => {
  t.same(
    combineRounds(
      [
        { probes: 1000, failures: 0, cpuMsPerProbe: 0.04, wallMsPerProbe: 0.1 },
        { probes: 3000, failures: 2, cpuMsPerProbe: 0.08, wallMsPerProbe: 0.2 },
      ],
      ['failures'],
    ),
    { probes: 4000, failures: 2, cpuMsPerProbe: 0.07, wallMsPerProbe: 0.175 },
  );
  t.throws(() => combineRounds([]), /no rounds/);
  t.same(roundSizes(3000, 3), [1000, 1000, 1000]);
  t.same(roundSizes(2, 5), [1, 1, 1, 1, 1], 'at least one probe a round');
});
