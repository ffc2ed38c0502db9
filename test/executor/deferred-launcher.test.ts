// The executor subscribes while its containerizer starts: launches wait for it, and a
// containerizer that failed to start fails every launch with its error.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../common/logger.js';
import { Containerizer } from '../../containerizer/containerizer.js';
import { NO_ISOLATION } from '../../containerizer/isolation.js';
import { DeferredLauncher, ISOLATION_NOT_YET_KNOWN } from '../../executor/deferred-launcher.js';
import type { LaunchSpec } from '../../executor/process-launcher.js';

const logger = createLogger({ name: 'test', level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

t.test('a launch waits for the containerizer, then runs on it', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'deferred-launcher-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const containerizer = deferred<Containerizer>();
  const launcher = new DeferredLauncher(containerizer.promise);
  t.equal(launcher.isolation, ISOLATION_NOT_YET_KNOWN, 'isolation unknown until the containerizer is up');
  // A command that cannot be executed: the launch's answer says the containerizer was reached.
  const spec: LaunchSpec = { taskId: 'web', command: { shell: false, value: 'no-such-command-here', arguments: ['no-such-command-here'] }, environment: { PATH: '/nonexistent' }, workingDirectory: path.join(dir, 'web'), logger };
  let settled = false;
  const launching = launcher.launch(spec).finally(() => (settled = true));
  launching.catch(() => {});
  await new Promise((r) => setImmediate(r));
  t.notOk(settled, 'the launch waits while the containerizer starts');
  containerizer.resolve(new Containerizer({ isolation: NO_ISOLATION }));
  await t.rejects(launching, { code: 'E_LAUNCH', message: /Failed to execute 'no-such-command-here'/ }, 'then it runs, and its own error comes back');
  t.equal(launcher.isolation, 'none', 'the started containerizer’s isolation');
});

t.test('a containerizer that failed to start fails every launch with its error', async (t) => {
  const failure = new Error('MESOS_SIDECAR_ISOLATION: unknown isolation');
  const launcher = new DeferredLauncher(Promise.reject(failure));
  const spec: LaunchSpec = { taskId: 'web', command: { shell: true, value: 'true' }, environment: {}, workingDirectory: '/nonexistent', logger };
  await t.rejects(launcher.launch(spec), failure, 'the first launch');
  await t.rejects(launcher.launch(spec), failure, 'and the next');
  t.equal(launcher.isolation, ISOLATION_NOT_YET_KNOWN);
});
