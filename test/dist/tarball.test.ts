// `make dist`'s tarball, unpacked where the Mesos fetcher puts it (`extract: true` unpacks
// into the executor's sandbox, far from this checkout), runs the executor against the
// agent emulator in both encodings; node-pty's addon and the checks' prober load from the
// unpacked copy.
import t from 'tap';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AgentEmulator } from '../../agent/emulator.js';
import { codecs } from '../../proto/codec.js';
import { ENCODINGS, quietLogger, shellTask, uniqueId } from '../helpers/tasks.js';
import { until } from '../helpers/wait.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const { version } = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string };
const top = `mesos-sidecar-${version}`;
/** A bound that keeps node-pty's Windows/macOS prebuilds (58 MiB) and dev tools out. */
const MAX_TARBALL_BYTES = 16 * 2 ** 20;

const out = mkdtempSync(path.join(tmpdir(), 'mesos-sidecar-dist-test-'));
t.teardown(() => rmSync(out, { recursive: true, force: true }));
const built = await run(process.execPath, [path.join(repo, 'scripts', 'dist.mjs'), '--out-dir', out], { cwd: repo });
const tarball = built.stdout.trim();
const bytes = statSync(tarball).size;
t.comment(`${path.basename(tarball)}: ${bytes} bytes (${(bytes / 2 ** 20).toFixed(1)} MiB); ${built.stderr.trim()}`);

t.test('the tarball: one top-level folder with the runtime, no TypeScript, tap or types', async (t) => {
  t.equal(path.basename(tarball), `${top}-${process.platform}-${process.arch}.tar.gz`);
  t.ok(bytes < MAX_TARBALL_BYTES, `${bytes} bytes < ${MAX_TARBALL_BYTES}`);
  const entries = (await run('tar', ['-tzf', tarball], { maxBuffer: 64 * 2 ** 20 })).stdout.split('\n').filter(Boolean);
  t.same(entries.filter((e) => !e.startsWith(`${top}/`)), [], `every entry is under ${top}/`);
  for (const needed of ['bin/mesos-sidecar-executor', 'bin/mesos-sidecar', 'dist/executor/main.js', 'dist/cli/main.js', 'dist/bundle/executor.js', 'dist/proto/generated/schema.json', 'package.json', 'README.md', 'node_modules/protobufjs/package.json', 'node_modules/node-pty/build/Release/pty.node', 'build/Release/prober.node', 'build/Release/pipe.node', 'dist/ui/index.html', 'dist/ui/main.js', 'node_modules/@xterm/xterm/lib/xterm.mjs', 'node_modules/@xterm/addon-fit/lib/addon-fit.mjs']) {
    t.ok(entries.includes(`${top}/${needed}`), `holds ${needed}`);
  }
  t.same(entries.filter((e) => e.endsWith('.ts')), [], 'no .ts files (sources or declarations)');
  t.same(entries.filter((e) => /\/node_modules\/(tap|@tapjs|typescript|@types|fast-check|undici)\//.test(e)), [], 'no dev dependencies, no @types');
  t.same(entries.filter((e) => e.startsWith(`${top}/dist/test/`) || e.startsWith(`${top}/dist/bench/`)), [], 'no compiled tests or benchmarks');
});

/** The ExecutorInfo docs/operators.md gives for the fetched tarball (its JSON block with `uris`). */
function documentedExecutorInfo() {
  const md = readFileSync(path.join(repo, 'docs', 'operators.md'), 'utf8');
  const block = [...md.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('"uris"'));
  if (!block) throw new Error('docs/operators.md has no ExecutorInfo with uris');
  return codecs.mesos.ExecutorInfo.fromJsonValue(JSON.parse(block));
}

t.test("docs/operators.md's ExecutorInfo fetches this tarball and starts its executor", async (t) => {
  const info = documentedExecutorInfo();
  const uri = info.command?.uris?.[0];
  t.equal(path.basename(uri?.value ?? ''), path.basename(tarball), 'the URI names the tarball make dist builds');
  t.not(uri?.extract, false, 'extracted by the fetcher');
  t.equal(info.command?.shell, false);
  t.equal(info.command?.value, `${top}/bin/mesos-sidecar-executor`, 'command.value is relative to the sandbox');
});

t.test('the unpacked CLI answers from any working directory', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mesos-sidecar-unpacked-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await run('tar', ['-xzf', tarball, '-C', dir]);
  const { stdout } = await run(path.join(dir, top, 'bin', 'mesos-sidecar'), ['--version'], { cwd: tmpdir() });
  t.match(stdout, version);
});

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: unpacked into the sandbox, ${top}/bin/mesos-sidecar-executor runs a task to TASK_FINISHED and a TTY task`, async (t) => {
    const agent = await AgentEmulator.start({ logger: quietLogger() });
    t.teardown(() => agent.close());
    await run('tar', ['-xzf', tarball, '-C', agent.sandbox]);
    const executorBin = path.join(agent.sandbox, top, 'bin', 'mesos-sidecar-executor');
    t.ok(statSync(executorBin).mode & 0o100, 'the executor is executable after extraction');
    // ExecutorInfo.command.value as docs/operators.md gives it: relative to the sandbox,
    // which is the executor's working directory.
    const subscribed = agent.waitForSubscribed();
    const exec = agent.spawnExecutor({ encoding, command: [documentedExecutorInfo().command!.value!], env: { MESOS_SIDECAR_LOG_LEVEL: 'debug' } });
    t.teardown(() => {
      if (!t.passing()) t.comment(`executor stderr (last 40 lines):\n${exec.stderrLines.slice(-40).join('\n')}`);
    });
    await subscribed;

    // A TCP health check makes the executor load the checks' native prober.
    const probed = net.createServer((socket) => socket.destroy()).listen(0, '127.0.0.1');
    t.teardown(() => probed.close());
    await once(probed, 'listening');
    const port = (probed.address() as net.AddressInfo).port;
    const ttyId = uniqueId('dist-tty');
    const health_check = { type: 'TCP' as const, tcp: { port }, delay_seconds: 0, interval_seconds: 1, grace_period_seconds: 10 };
    agent.launch(shellTask(ttyId, 'tty; exec sleep 60', { container: { type: 'MESOS', tty_info: {} }, health_check }));
    await agent.waitForUpdate((s) => s.task_id.value === ttyId && s.state === 'TASK_RUNNING' && s.healthy === true);
    const ttyOut = path.join(agent.sandbox, 'tasks', ttyId, 'stdout');
    await until(() => /\/dev\/pts\/\d+/.test(readFileSync(ttyOut, 'utf8')), `the TTY task to print its terminal into ${ttyOut}`);
    const maps = readFileSync(`/proc/${exec.pid}/maps`, 'utf8');
    t.match(maps, path.join(agent.sandbox, top, 'node_modules', 'node-pty', 'build', 'Release', 'pty.node'), "node-pty's addon is loaded from the unpacked tarball");
    t.match(maps, path.join(agent.sandbox, top, 'build', 'Release', 'prober.node'), "the checks' native prober is loaded from the unpacked tarball");

    const id = uniqueId('dist');
    agent.launch(shellTask(id, 'echo "hello from $MESOS_TASK_ID"'));
    const finished = await agent.waitForTerminal(id);
    t.equal(finished.state, 'TASK_FINISHED');
    t.equal(readFileSync(path.join(agent.sandbox, 'tasks', id, 'stdout'), 'utf8'), `hello from ${id}\n`);

    agent.kill(ttyId, 0);
    t.equal((await agent.waitForTerminal(ttyId)).state, 'TASK_KILLED');
    t.same(await exec.exited, { code: 0, signal: null }, 'the executor exits 0 once its tasks are done');
  });
}
