#!/usr/bin/env node
// Build step after tsc: bundles the executor (dist/executor/main.js and everything it
// loads) into dist/bundle/, which bin/mesos-sidecar-executor runs. One file per lazily
// loaded part (esbuild's code splitting keeps the checks engine, the switchboard and the
// containerizer out of the start), so a start resolves and reads a few files instead of
// some two hundred: with the schema table (proto/schema.ts) it took the executor's cold
// start from ~60 ms to ~25 ms over a bare `node -e 0` (bench/executor).
//
// dist/bundle/ sits at the same depth as dist/executor/, so paths taken from
// import.meta.url (../../package.json, ../ui/) mean the same in either. Packages loaded
// at run time through createRequire stay in node_modules: node-pty (a native addon),
// pino-pretty and lossless-json (needed only for people's logs and long JSON numbers).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const outdir = join(dist, 'bundle');
rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints: { executor: join(dist, 'executor', 'main.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['node-pty'],
  chunkNames: '[name]-[hash]',
  // Stack traces map back to the .ts sources (through tsc's maps) with
  // NODE_OPTIONS=--enable-source-maps; off by default: reading the maps costs the start.
  sourcemap: 'linked',
  // CommonJS packages in an ES module bundle call require() for Node's own modules.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
