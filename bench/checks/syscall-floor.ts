// The system-call floor of bench/checks (syscall-floor.c): what the kernel alone charges
// for a probe on this machine, built here with the C compiler that node-gyp needs anyway.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProberProgram, ProberUnavailable, run } from './prober-program.js';

export class SyscallFloorUnavailable extends ProberUnavailable {
  override readonly name = 'SyscallFloorUnavailable';
}

/** The source beside this module's: dist/bench/checks/*.js -> bench/checks/syscall-floor.c. */
export const SYSCALL_FLOOR_SOURCE = fileURLToPath(new URL('../../../bench/checks/syscall-floor.c', import.meta.url));

export class SyscallFloor extends ProberProgram {
  private constructor(binary: string, readonly compiler: string, workDir: string) {
    super(binary, 'syscall-floor', workDir);
  }

  /** `cc -O2` into a private directory; SyscallFloorUnavailable naming what is missing. */
  static async build(env: NodeJS.ProcessEnv = process.env, source = SYSCALL_FLOOR_SOURCE): Promise<SyscallFloor> {
    let compiler: string;
    try {
      compiler = (await run('cc', ['--version'], env)).split('\n')[0]!.trim();
    } catch {
      throw new SyscallFloorUnavailable('no C compiler (cc): the system-call floor needs Debian\'s gcc (`make bench-deps` installs it)');
    }
    const workDir = mkdtempSync(join(tmpdir(), 'syscall-floor-'));
    const binary = join(workDir, 'syscall-floor');
    try {
      await run('cc', ['-O2', '-Wall', '-o', binary, source], env).catch((err: Error & { stderr?: string }) => {
        throw new SyscallFloorUnavailable(`cc of ${source} failed: ${err.stderr?.trim() || err.message}`);
      });
    } catch (err) {
      rmSync(workDir, { recursive: true, force: true });
      throw err;
    }
    return new SyscallFloor(binary, compiler, workDir);
  }
}
