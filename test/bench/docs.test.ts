// The figure tables in README.md and docs/*.md are what bench/results/*.json renders: a
// results file rerun without `make docs`, or a figure edited by hand, fails here.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { docFiles, renderDoc, sectionsOf } from '../../bench/report.js';

const files = docFiles();

t.test('the docs that quote benchmark figures mark them as rendered sections', async (t) => {
  const sections = Object.fromEntries(files.map((f) => [basename(f), sectionsOf(readFileSync(f, 'utf8'))]));
  t.same(sections['README.md'], ['summary', 'range', 'robustness']);
  t.same(sections['checks.md'], ['checks-cost']);
  t.same(sections['switchboard.md'], ['switchboard-cost', 'session-start']);
});

for (const file of files) {
  t.test(`${basename(file)} shows what bench/results renders (make docs rewrites it)`, async (t) => {
    const text = readFileSync(file, 'utf8');
    t.equal(text, renderDoc(text), `${basename(file)} as rendered (if not: make docs)`);
  });
}
