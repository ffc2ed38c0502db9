// The transport floor of the exec throughput rounds (relay-floor.c): a command's output
// from a pipe into loopback TCP by a C program, read by a plain Node reader in a process of
// its own. Reported beside the judged ratio, with no target of its own.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { buildC, cSource } from '../checks/cc.js';
import { ProberUnavailable } from '../checks/prober-program.js';
import { readInProcess } from './throughput-reader.js';

export class RelayFloorUnavailable extends ProberUnavailable {
  override readonly name = 'RelayFloorUnavailable';
}

export interface RelayFloorRun {
  bytes: number;
  seconds: number;
  relayCpuSeconds: number;
  readerCpuSeconds: number;
}

export class RelayFloor {
  private constructor(
    readonly binary: string,
    readonly compiler: string,
    private readonly workDir: string,
  ) {}

  static async build(env: NodeJS.ProcessEnv = process.env): Promise<RelayFloor> {
    const { binary, compiler, workDir } = await buildC(cSource('relay-floor', 'switchboard'), 'relay-floor', 'the relay floor of bench/switchboard', (m) => new RelayFloorUnavailable(m), env);
    return new RelayFloor(binary, compiler, workDir);
  }

  /** One relay of `bytes`; throws if the reader got less or the relay failed. */
  async run(bytes: number): Promise<RelayFloorRun> {
    const relay = spawn(this.binary, [String(bytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(relay, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const lines = createInterface({ input: relay.stdout! })[Symbol.asyncIterator]();
    try {
      const port = Number((await lines.next()).value);
      const read = await readInProcess('relay-floor', bytes, { url: `http://127.0.0.1:${port}`, token: '' });
      const cpuLine = (await lines.next()).value as string | undefined;
      const [code, signal] = await exited;
      if (code !== 0) throw new Error(`relay-floor exited with ${signal ?? `code ${code}`}`);
      if (read.bytes < bytes) throw new Error(`relay-floor: the reader got ${read.bytes} of ${bytes} bytes`);
      const { cpu_seconds } = JSON.parse(cpuLine ?? '{}') as { cpu_seconds?: number };
      if (typeof cpu_seconds !== 'number') throw new Error(`relay-floor printed no CPU line: ${JSON.stringify(cpuLine)}`);
      return { bytes, seconds: read.seconds, relayCpuSeconds: cpu_seconds, readerCpuSeconds: read.cpuSeconds };
    } finally {
      if (relay.exitCode === null && relay.signalCode === null) relay.kill('SIGKILL');
    }
  }

  dispose(): void {
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
