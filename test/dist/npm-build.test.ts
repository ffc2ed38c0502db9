// `npm run build` must do what `make build` does once node_modules is installed: on a
// clean clone proto/generated/ does not exist yet, and tsc alone fails on its imports.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** The commands of a Makefile rule's recipe, in order. */
function recipe(makefile: string, target: string): string[] {
  const lines = makefile.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${target}:`));
  if (start < 0) throw new Error(`no ${target}: rule in the Makefile`);
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('\t')) break;
    out.push(line.trim());
  }
  return out;
}

t.test('make build is npm run build, and that runs the proto generator before tsc', async (t) => {
  t.same(recipe(readFileSync(`${repo}/Makefile`, 'utf8'), 'build'), ['npm run --silent build'], 'one build: make build delegates to npm run build');
  const pkg = JSON.parse(readFileSync(`${repo}/package.json`, 'utf8')) as { scripts: Record<string, string> };
  const steps = pkg.scripts.build!.split('&&').map((c) => c.trim());
  t.ok(steps.indexOf('node proto/generate.mjs') >= 0 && steps.indexOf('node proto/generate.mjs') < steps.indexOf('tsc -p tsconfig.json'), `the proto generator runs before tsc (${pkg.scripts.build})`);
  t.ok(steps.includes('rm -rf dist'), 'dist/ is rebuilt from scratch, so no output of a removed source survives');
});
