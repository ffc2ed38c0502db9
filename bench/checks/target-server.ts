// The target every probe of bench/checks answers to (target-server.c), in a process of its
// own so that its CPU is not counted as ours.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { signalGroup } from '../../common/process.js';
import { buildC, cSource } from './cc.js';
import { ProberUnavailable } from './prober-program.js';

export class TargetServerUnavailable extends ProberUnavailable {
  override readonly name = 'TargetServerUnavailable';
}

export const TARGET_SERVER_SOURCE = cSource('target-server');

export interface TargetServer {
  port: number;
  binary: string;
  compiler: string;
  stop(): Promise<void>;
}

/** Builds the target with cc, starts it on a free loopback port and waits for that port. */
export async function startTargetServer(env: NodeJS.ProcessEnv = process.env, source = TARGET_SERVER_SOURCE): Promise<TargetServer> {
  const { binary, compiler, workDir } = await buildC(source, 'target-server', 'the benchmark\'s target server', (m) => new TargetServerUnavailable(m), env);
  let child: ChildProcess | undefined;
  try {
    child = spawn(binary, ['0'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const exited = once(child, 'exit');
    const stderr: Buffer[] = [];
    child.stderr!.on('data', (c: Buffer) => stderr.push(c));
    const first = await Promise.race([once(child.stdout!, 'data').then(([c]) => String(c)), exited.then(([code]) => `exit ${code}`)]);
    const port = Number(first.trim());
    if (!Number.isInteger(port) || port <= 0) throw new TargetServerUnavailable(`target-server did not start (${first.trim()}): ${Buffer.concat(stderr).toString().trim()}`);
    const running = child;
    return {
      port,
      binary,
      compiler,
      stop: async () => {
        if (running.exitCode === null && running.signalCode === null) {
          signalGroup(running.pid!, 'SIGKILL');
          await exited;
        }
        rmSync(workDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (child?.pid && child.exitCode === null) signalGroup(child.pid, 'SIGKILL');
    rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
}
