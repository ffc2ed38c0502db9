// The launcher the executor starts with: the containerizer's modules load and its start
// (probing isolation, recovering a crashed run's cgroups) runs while the executor
// subscribes, not before, and the first LAUNCH waits for it. Cold start to SUBSCRIBE then
// pays for neither.
import type { Containerizer } from '../containerizer/containerizer.js';
import type { LaunchedProcess, LaunchSpec, ProcessLauncher } from './process-launcher.js';

/** The isolation label of a task refused before the containerizer was ready. */
export const ISOLATION_NOT_YET_KNOWN = 'unknown';

export class DeferredLauncher implements ProcessLauncher {
  #real: ProcessLauncher | undefined;
  readonly #ready: Promise<ProcessLauncher>;

  /** `containerizer` undefined: one without isolation (tasks as plain process groups). */
  constructor(containerizer: Containerizer | Promise<Containerizer> | undefined, options: { recentOutputBytes?: number | undefined } = {}) {
    this.#ready = Promise.all([containerizer, import('./process-launcher.js')]).then(([c, { RealProcessLauncher }]) => {
      this.#real = new RealProcessLauncher(c, options);
      return this.#real;
    });
    // A failed start is the caller's to report (start.ts awaits the same promise); every
    // launch after it rejects with the same error.
    this.#ready.catch(() => {});
  }

  /** Settles once launches can start (rejects as they would). */
  get ready(): Promise<unknown> {
    return this.#ready;
  }

  get isolation(): string {
    return this.#real?.isolation ?? ISOLATION_NOT_YET_KNOWN;
  }

  async launch(spec: LaunchSpec): Promise<LaunchedProcess> {
    return (await this.#ready).launch(spec);
  }
}
