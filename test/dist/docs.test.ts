// What the README and docs/ say about the shipped package: the CLI table names the options
// exec and attach cannot connect without, and no doc points outside the repository (a
// tarball or a clone elsewhere has nothing next to it).
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { docFiles } from '../../bench/report.js';
import { CONNECTION_OPTIONS } from '../../cli/attach-target.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const docs = [...docFiles(), path.join(repo, 'examples', 'README.md')];

t.test("the README's CLI table shows the connection options of exec and attach", async (t) => {
  const lines = readFileSync(path.join(repo, 'README.md'), 'utf8').split('\n');
  const row = (command: string): string => lines.find((l) => l.startsWith(`| \`mesos-sidecar ${command} `)) ?? `(no row for mesos-sidecar ${command})`;
  const exec = row('exec');
  for (const option of Object.keys(CONNECTION_OPTIONS).filter((o) => o !== 'help')) {
    t.ok(new RegExp(`--${option}(?![-\\w])`).test(exec), `exec's row names --${option}: ${exec}`);
  }
  for (const command of ['exec', 'attach']) t.match(row(command), '--url URL', `${command}'s usage names --url`);
  t.match(row('attach'), 'the same connection options as `exec`');
});

t.test('docs link only to files inside the repository, and those exist', async (t) => {
  for (const file of docs) {
    const text = readFileSync(file, 'utf8');
    const rel = path.relative(repo, file);
    t.notMatch(text, /\.\.\/shared\b/, `${rel}: no ../shared paths`);
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!) || target!.startsWith('#')) continue;
      const resolved = path.resolve(path.dirname(file), target!.split('#')[0]!);
      t.ok(resolved.startsWith(repo) && existsSync(resolved), `${rel}: link ${target} stays in the repository and exists`);
    }
  }
});
