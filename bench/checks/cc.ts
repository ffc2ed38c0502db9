// The benchmarks' C programs (bench/checks: the system-call floor, the target server;
// bench/switchboard: the relay floor), built in the run with the C compiler that node-gyp
// needs anyway, into a private directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProberUnavailable, run } from './prober-program.js';

/** A suite's C source: bench/SUITE/NAME.c (this module is dist/bench/checks/cc.js). */
export function cSource(name: string, suite: 'checks' | 'switchboard' = 'checks'): string {
  return fileURLToPath(new URL(`../../../bench/${suite}/${name}.c`, import.meta.url));
}

export interface BuiltProgram {
  binary: string;
  /** The compiler's first line of `--version`. */
  compiler: string;
  workDir: string;
}

/**
 * `cc -O2 -Wall SOURCE` into a directory of its own (the caller removes `workDir`).
 * Throws `unavailable(message)` naming what is missing, for the person who runs `make bench`.
 */
export async function buildC(source: string, name: string, purpose: string, unavailable: (message: string) => ProberUnavailable, env: NodeJS.ProcessEnv = process.env): Promise<BuiltProgram> {
  let compiler: string;
  try {
    compiler = (await run('cc', ['--version'], env)).split('\n')[0]!.trim();
  } catch {
    throw unavailable(`no C compiler (cc): ${purpose} needs Debian's gcc (\`make bench-deps\` installs it)`);
  }
  const workDir = mkdtempSync(join(tmpdir(), `${name}-`));
  const binary = join(workDir, name);
  try {
    await run('cc', ['-O2', '-Wall', '-o', binary, source], env).catch((err: Error & { stderr?: string }) => {
      throw unavailable(`cc of ${source} failed: ${err.stderr?.trim() || err.message}`);
    });
  } catch (err) {
    rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
  return { binary, compiler, workDir };
}
