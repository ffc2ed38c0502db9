#!/usr/bin/env node
// `make dist`: packs the built executor and CLI with their production dependencies into
// mesos-sidecar-VERSION-PLATFORM-ARCH.tar.gz (one top-level folder mesos-sidecar-VERSION/),
// which the Mesos fetcher downloads and unpacks into the executor's sandbox
// (CommandInfo.URI with `extract: true`); docs/operators.md has the ExecutorInfo for it.
//
//   node scripts/dist.mjs [--out-dir DIR]     (default: the repository root)
//
// Needs `make build` first. Dependencies are copied from this checkout's node_modules
// (the production subset `npm ls --omit=dev` names) rather than installed again: node-pty's
// addon is already compiled for this machine, and a second install would compile it anew.
// So the tarball runs on agents of this platform and architecture, which its name says.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Compiled folders under dist/ that only tests and benchmarks use. */
const DIST_EXCLUDED = new Set(['test', 'bench']);

/**
 * Packages `npm ls --omit=dev` lists that the runtime never loads: @types/node is a
 * dependency of protobufjs for its .d.ts files only.
 */
const isTypesOnly = (name) => name.startsWith('@types/');

/**
 * node-pty ships Windows and macOS prebuilds (about 58 MiB), its C++ sources and the
 * build's intermediates; at run time it needs lib/ and the addon it loads from
 * build/Release (compiled at install) or prebuilds/<platform>-<arch>.
 */
const NODE_PTY_KEEP = ['package.json', 'LICENSE', 'README.md', 'lib', 'build/Release/pty.node', `prebuilds/${process.platform}-${process.arch}`];

/**
 * Our addons, compiled at install like node-pty's (binding.gyp): the checks' prober and
 * the sessions' pipes. dist/checks/native-prober.js and dist/process/os-pipe.js load them
 * from ../../build/Release, so they keep that place in the tarball.
 */
const ADDONS = ['build/Release/prober.node', 'build/Release/pipe.node'];

/** Files no runtime reads: TypeScript sources and declarations, source maps of dependencies. */
const droppedFromDependencies = (file) => file.endsWith('.ts') || file.endsWith('.map');

class DistError extends Error {
  code = 'E_DIST';
}

function productionPackages() {
  let out;
  try {
    out = execFileSync('npm', ['ls', '--omit=dev', '--parseable', '--all'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new DistError(`npm ls --omit=dev failed (is node_modules installed and in step with package-lock.json? run make install): ${String(err.stderr ?? err.message).trim()}`);
  }
  const nodeModules = join(repo, 'node_modules') + sep;
  return out
    .split('\n')
    .filter((p) => p.startsWith(nodeModules))
    .map((p) => relative(repo, p))
    .filter((rel) => !isTypesOnly(rel.slice(rel.lastIndexOf('node_modules') + 'node_modules/'.length)));
}

function copyPackage(rel, top) {
  const from = join(repo, rel);
  const to = join(top, rel);
  if (basename(rel) === 'node-pty' && basename(dirname(rel)) === 'node_modules') {
    for (const part of NODE_PTY_KEEP) {
      if (existsSync(join(from, part))) cpSync(join(from, part), join(to, part), { recursive: true, filter: (src) => !droppedFromDependencies(src) });
    }
    return;
  }
  // A package's own node_modules holds nested dependencies, which npm ls lists (and this
  // copies) one by one; anything else in there is not a production dependency.
  const nested = join(from, 'node_modules');
  cpSync(from, to, { recursive: true, filter: (src) => src !== nested && !droppedFromDependencies(src) });
}

/** Builds the tarball and returns its path and size in bytes. */
function buildTarball({ outDir = repo } = {}) {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  if (!existsSync(join(repo, 'dist', 'executor', 'main.js'))) throw new DistError('dist/executor/main.js is missing: run make build first');
  for (const addon of ADDONS) if (!existsSync(join(repo, addon))) throw new DistError(`${addon} is missing: run make install (npm ci compiles it)`);
  const name = `mesos-sidecar-${pkg.version}`;
  const stage = mkdtempSync(join(tmpdir(), 'mesos-sidecar-dist-'));
  try {
    const top = join(stage, name);
    mkdirSync(top);
    cpSync(join(repo, 'bin'), join(top, 'bin'), { recursive: true });
    cpSync(join(repo, 'dist'), join(top, 'dist'), {
      recursive: true,
      filter: (src) => !DIST_EXCLUDED.has(relative(join(repo, 'dist'), src).split(sep)[0]),
    });
    for (const rel of productionPackages()) copyPackage(rel, top);
    for (const addon of ADDONS) cpSync(join(repo, addon), join(top, addon));
    for (const doc of ['README.md', 'LICENSE', 'docs', 'examples']) {
      if (existsSync(join(repo, doc))) cpSync(join(repo, doc), join(top, doc), { recursive: true });
    }
    // What `node` needs at run time ("type": "module" makes dist/*.js ES modules), nothing
    // that would tempt anyone to build or test from the unpacked folder.
    const { name: pkgName, version, description, type, license, engines, bin, dependencies } = pkg;
    writeFileSync(join(top, 'package.json'), `${JSON.stringify({ name: pkgName, version, description, type, license, engines, bin, dependencies }, null, 2)}\n`);
    mkdirSync(outDir, { recursive: true });
    const file = join(resolve(outDir), `${name}-${process.platform}-${process.arch}.tar.gz`);
    execFileSync('tar', ['-C', stage, '--owner=0', '--group=0', '--numeric-owner', '--sort=name', '-czf', file, name]);
    return { file, bytes: statSync(file).size };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { values } = parseArgs({ options: { 'out-dir': { type: 'string' } } });
    const started = performance.now();
    const { file, bytes } = buildTarball({ outDir: values['out-dir'] ?? repo });
    process.stdout.write(`${file}\n`);
    process.stderr.write(`dist: ${basename(file)}: ${bytes} bytes (${(bytes / 2 ** 20).toFixed(1)} MiB), built in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (err) {
    process.stderr.write(`dist: ${err instanceof DistError || err?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? err.message : err?.stack ?? err}\n`);
    process.exit(1);
  }
}
