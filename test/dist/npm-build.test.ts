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

/** `npx tsc` in make is `tsc` in an npm script (node_modules/.bin is on npm's PATH). */
const normalise = (cmd: string): string => cmd.replace(/^npx /, '').replace(/\s+/g, ' ').trim();

t.test('npm run build runs the same commands as make build (proto generator, then tsc)', async (t) => {
  const make = recipe(readFileSync(`${repo}/Makefile`, 'utf8'), 'build').map(normalise);
  const pkg = JSON.parse(readFileSync(`${repo}/package.json`, 'utf8')) as { scripts: Record<string, string> };
  const npm = pkg.scripts.build!.split('&&').map(normalise);
  t.ok(make.includes('node proto/generate.mjs'), 'make build runs the proto generator');
  t.same(npm, make, `package.json scripts.build (${pkg.scripts.build}) equals make build's recipe`);
});
