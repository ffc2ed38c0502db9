// A baseline of bench/checks that is a program of its own, built inside the benchmark and
// run against the same target in the same run as our probes: kubelet's way (Go) and the
// system-call floor (C). Both take `-url URL -n N` or `-tcp HOST:PORT -n N` and print one
// JSON line of their CPU per probe. A ratio only holds against a baseline measured on the
// same machine, minutes apart at most; so neither is ever taken from a file of figures.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';

export interface ProbeCost {
  probes: number;
  failures: number;
  cpuMsPerProbe: number;
  wallMsPerProbe: number;
}

/** Why a baseline is missing, worded for the person who runs `make bench`. */
export class ProberUnavailable extends Error {
  override readonly name: string = 'ProberUnavailable';
}

export function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(file, args, { env, maxBuffer: 1 << 20, ...(cwd ? { cwd } : {}) }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr: String(stderr) }));
      else resolvePromise(String(stdout));
    });
    child.stdin?.end();
  });
}

/** Parses the program's one JSON line; throws on anything else (a silently wrong baseline is worse than none). */
export function parseProberOutput(text: string, program: string): ProbeCost {
  const line = text.trim().split('\n').pop() ?? '';
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    throw new ProberUnavailable(`${program} printed no JSON line: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const d = doc as Record<string, unknown>;
  const fields = ['probes', 'failures', 'cpu_ms_per_probe', 'wall_ms_per_probe'] as const;
  for (const f of fields) {
    if (typeof d[f] !== 'number' || !Number.isFinite(d[f])) throw new ProberUnavailable(`${program} output lacks a number "${f}": ${line}`);
  }
  return { probes: d.probes as number, failures: d.failures as number, cpuMsPerProbe: d.cpu_ms_per_probe as number, wallMsPerProbe: d.wall_ms_per_probe as number };
}

export class ProberProgram {
  protected constructor(
    readonly binary: string,
    readonly program: string,
    private readonly workDir: string,
  ) {}

  /** `probes` HTTP GETs of `url` (after the program's own warm-up probes). */
  http(url: string, probes: number): Promise<ProbeCost> {
    return this.measure(['-url', url, '-n', String(probes)]);
  }

  /** `probes` TCP connects to `hostPort`. */
  tcp(hostPort: string, probes: number): Promise<ProbeCost> {
    return this.measure(['-tcp', hostPort, '-n', String(probes)]);
  }

  protected async measure(args: string[]): Promise<ProbeCost> {
    const cost = parseProberOutput(await run(this.binary, args, process.env), this.program);
    if (cost.failures > 0) throw new ProberUnavailable(`${this.program} ${args.join(' ')}: ${cost.failures} of ${cost.probes} probes failed`);
    return cost;
  }

  dispose(): void {
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
