// The kubelet baseline of bench/checks: kubelet's way of probing (Go net/http with a fresh
// connection per probe, net.Dial + close for TCP), from the anchor program in
// shared/anchors/kubelet-prober, built here with Debian's Go.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ProberProgram, ProberUnavailable, run } from './prober-program.js';

/** Where the anchor's main.go is; the repository's sibling `shared/` by default. */
export const KUBELET_PROBER_DIR_ENV = 'MESOS_SIDECAR_KUBELET_PROBER_DIR';

export class KubeletProberUnavailable extends ProberUnavailable {
  override readonly name = 'KubeletProberUnavailable';
}

export class KubeletProber extends ProberProgram {
  private constructor(binary: string, readonly goVersion: string, workDir: string) {
    super(binary, 'kubelet-prober', workDir);
  }

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
}
