// The run-to-run range: a figure is met only when every run met it; a run without the
// figure counts as not met; each target's comparison is the one it states.
import t from 'tap';
import { meets, rangeRows, withCarriedRows, type RangeFigure } from '../../bench/range.js';
import { rangeTable } from '../../bench/report.js';

const ratio: RangeFigure = { figure: 'throughput', suite: 's', path: 'a.ratio', target: { op: '>=', value: 0.6 }, unit: '×' };
const p99: RangeFigure = { figure: 'p99', suite: 's', path: 'b.p99', target: { op: '<', value: 1.5 }, unit: ' ms' };

t.test('meets: each comparison as stated, the bound itself included only by <= and >=', async (t) => {
  const cases: Array<[number, RangeFigure['target'], boolean]> = [
    [0.6, { op: '>=', value: 0.6 }, true],
    [0.59, { op: '>=', value: 0.6 }, false],
    [1.5, { op: '<', value: 1.5 }, false],
    [1.49, { op: '<', value: 1.5 }, true],
    [0.5, { op: '<=', value: 0.5 }, true],
  ];
  for (const [v, target, expected] of cases) t.equal(meets(v, target), expected, `${v} ${target.op} ${target.value}`);
});

t.test('rangeRows: min, max, runs met; one miss or one missing figure is not met', async (t) => {
  const runs = [{ s: { a: { ratio: 0.7 }, b: { p99: 1.2 } } }, { s: { a: { ratio: 0.65 }, b: { p99: 1.6 } } }, { s: { a: { ratio: 0.8 } } }];
  const [r1, r2] = rangeRows(runs, [ratio, p99]);
  t.match(r1, { min: 0.65, max: 0.8, metInRuns: 3, runs: 3, met: true, target: '>= 0.6×', values: [0.7, 0.65, 0.8] });
  t.match(r2, { min: 1.2, max: 1.6, metInRuns: 1, runs: 3, met: false, values: [1.2, 1.6, null] });
  const md = rangeTable({ runs: 3, rows: [r1, r2] }, 'range');
  t.match(md, '| throughput | 0.65 – 0.8 (0.7, 0.65, 0.8) | >= 0.6× | met (3 of 3) |');
  t.match(md, '| p99 | 1.2 – 1.6 (1.2, 1.6, –) | < 1.5 ms | **not met** (1 of 3) |');
});

t.test('a range of one suite keeps the other suites\' rows, and says when they were measured', async (t) => {
  const other: RangeFigure = { ...p99, suite: 'other' };
  const [old1, old2] = rangeRows([{ s: { a: { ratio: 0.5 } }, other: { b: { p99: 1 } } }], [ratio, other]);
  const before = { rows: [old1!, old2!], meta: { started: '2026-12-01T08:00:00Z' } };
  const [fresh] = rangeRows([{ s: { a: { ratio: 0.9 } } }], [ratio]);
  const merged = withCarriedRows(before, [fresh!], ['s'], [ratio, other]);
  t.same(merged.rows.map((r) => [r.figure, r.max]), [['throughput', 0.9], ['p99', 1]], 'the new row for s, the old one for other, in the figures\' order');
  t.same(merged.carried, { suites: ['other'], meta: before.meta });
  const md = rangeTable({ runs: 1, suites: ['s'], ...merged, meta: { started: '2026-12-02T17:00:00Z' } }, 'range');
  t.match(md, 's measured 2026-12-02 17:00 UTC');
  t.match(md, 'other rows from the range measured 2026-12-01 08:00 UTC');
  t.same(withCarriedRows(undefined, [fresh!], ['s'], [ratio, other]), { rows: [fresh] }, 'nothing before: nothing carried');
  t.notOk(withCarriedRows(before, [fresh!], ['s', 'other'], [ratio, other]).carried, 'every suite measured: nothing carried');
});
