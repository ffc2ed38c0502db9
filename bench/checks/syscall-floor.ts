// The system-call floor of bench/checks (syscall-floor.c): what the kernel alone charges
// for a probe on this machine.
import { buildC, cSource } from './cc.js';
import { ProberProgram, ProberUnavailable, type ProbeCost } from './prober-program.js';

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

  /**
   * HTTP GETs paced as the load scenario's scheduler starts them: `batch` back to back, then
   * asleep until the next `everyMs` mark. A probe after idling costs more than one in a
   * busy loop (cold caches, a woken CPU), and the load's figure is to be read against that.
   */
  httpPaced(url: string, probes: number, batch: number, everyMs: number): Promise<ProbeCost> {
    return this.measure(['-url', url, '-n', String(probes), '-batch', String(batch), '-every', String(everyMs)]);
  }
}
