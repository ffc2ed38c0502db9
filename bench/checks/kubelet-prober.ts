// The same-run baseline of the checks benchmark: kubelet's way of probing (Go net/http with
// a fresh connection per probe, net.Dial + close for TCP), from the anchor program in
// shared/anchors/kubelet-prober, built here with Debian's Go. A ratio only holds against a
// baseline measured on the same machine, against the same target, minutes apart at most;
// so the program is built and run inside the benchmark, never taken from a file of figures.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where the anchor's main.go is; the repository's sibling `shared/` by default. */
export const KUBELET_PROBER_DIR_ENV = 'MESOS_SIDECAR_KUBELET_PROBER_DIR';

export interface KubeletProbeCost {
  probes: number;
  failures: number;
  cpuMsPerProbe: number;
  wallMsPerProbe: number;
}

/** Why the baseline is missing, worded for the person who runs `make bench`. */
export class KubeletProberUnavailable extends Error {
  override readonly name = 'KubeletProberUnavailable';
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(file, args, { env, maxBuffer: 1 << 20, ...(cwd ? { cwd } : {}) }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr: String(stderr) }));
      else resolvePromise(String(stdout));
    });
    child.stdin?.end();
  });
}

/** Parses the program's one JSON line; throws on anything else (a silently wrong baseline is worse than none). */
export function parseProberOutput(text: string): KubeletProbeCost {
  const line = text.trim().split('\n').pop() ?? '';
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    throw new KubeletProberUnavailable(`kubelet-prober printed no JSON line: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const d = doc as Record<string, unknown>;
  const fields = ['probes', 'failures', 'cpu_ms_per_probe', 'wall_ms_per_probe'] as const;
  for (const f of fields) {
    if (typeof d[f] !== 'number' || !Number.isFinite(d[f])) throw new KubeletProberUnavailable(`kubelet-prober output lacks a number "${f}": ${line}`);
  }
  return { probes: d.probes as number, failures: d.failures as number, cpuMsPerProbe: d.cpu_ms_per_probe as number, wallMsPerProbe: d.wall_ms_per_probe as number };
}

export class KubeletProber {
  private constructor(readonly binary: string, readonly goVersion: string, private readonly workDir: string) {}

  /**
   * Builds the anchor (`GO111MODULE=off`, a private GOCACHE: shared/ may be read-only and
   * nothing is fetched). Throws KubeletProberUnavailable naming what is missing.
   */
  static async build(repoDir: string, env: NodeJS.ProcessEnv = process.env): Promise<KubeletProber> {
    const source = resolve(env[KUBELET_PROBER_DIR_ENV] ?? join(repoDir, '..', 'shared', 'anchors', 'kubelet-prober'));
    if (!existsSync(join(source, 'main.go'))) {
      throw new KubeletProberUnavailable(`no kubelet-prober source at ${source}/main.go (set ${KUBELET_PROBER_DIR_ENV})`);
    }
    let goVersion: string;
    try {
      goVersion = (await run('go', ['version'], env)).trim();
    } catch {
      throw new KubeletProberUnavailable("Go is not installed: the kubelet baseline needs Debian's golang-go (`make bench-deps` installs it)");
    }
    const workDir = mkdtempSync(join(tmpdir(), 'kubelet-prober-'));
    const binary = join(workDir, 'kubelet-prober');
    try {
      await run('go', ['build', '-o', binary, '.'], { ...env, GO111MODULE: 'off', GOCACHE: join(workDir, 'cache'), GOPATH: join(workDir, 'gopath') }, source).catch(async (err: Error & { stderr?: string }) => {
        throw new KubeletProberUnavailable(`go build of ${source} failed: ${err.stderr?.trim() || err.message}`);
      });
    } catch (err) {
      rmSync(workDir, { recursive: true, force: true });
      throw err;
    }
    return new KubeletProber(binary, goVersion, workDir);
  }

  /** `probes` HTTP GETs of `url` (after its own 200 warm-up probes). */
  http(url: string, probes: number): Promise<KubeletProbeCost> {
    return this.#measure(['-url', url, '-n', String(probes)]);
  }

  /** `probes` TCP connects to `hostPort`. */
  tcp(hostPort: string, probes: number): Promise<KubeletProbeCost> {
    return this.#measure(['-tcp', hostPort, '-n', String(probes)]);
  }

  async #measure(args: string[]): Promise<KubeletProbeCost> {
    const cost = parseProberOutput(await run(this.binary, args, process.env));
    if (cost.failures > 0) throw new KubeletProberUnavailable(`kubelet-prober ${args.join(' ')}: ${cost.failures} of ${cost.probes} probes failed`);
    return cost;
  }

  dispose(): void {
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
