// The system-call floor of bench/checks (syscall-floor.c): what the kernel alone charges
// for a probe on this machine.
import { buildC, cSource } from './cc.js';
import { ProberProgram, ProberUnavailable } from './prober-program.js';

export class SyscallFloorUnavailable extends ProberUnavailable {
  override readonly name = 'SyscallFloorUnavailable';
}

export const SYSCALL_FLOOR_SOURCE = cSource('syscall-floor');

export class SyscallFloor extends ProberProgram {
  private constructor(binary: string, readonly compiler: string, workDir: string) {
    super(binary, 'syscall-floor', workDir);
  }

  /** Built with cc; SyscallFloorUnavailable naming what is missing. */
  static async build(env: NodeJS.ProcessEnv = process.env, source = SYSCALL_FLOOR_SOURCE): Promise<SyscallFloor> {
    const { binary, compiler, workDir } = await buildC(source, 'syscall-floor', 'the system-call floor', (m) => new SyscallFloorUnavailable(m), env);
    return new SyscallFloor(binary, compiler, workDir);
  }
}
