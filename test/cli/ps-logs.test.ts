// `ps` and `logs` end to end: the real executor (both encodings towards the agent
// emulator) with its switchboard, a task with a health check, and the CLI as a child
// process reading GET /tasks and /files/read.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SWITCHBOARD_URL_LABEL } from '../../contracts/switchboard.js';
import { ENCODINGS, shellTask, startExecutor, uniqueId } from '../helpers/tasks.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

interface Cli {
  pid: number;
  stdout: string;
  stderr: string;
  /** Resolves once stdout contains `text`. */
  printed(text: string): Promise<void>;
  exited: Promise<number | null>;
}

function cli(t: Test, args: string[]): Cli {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, MESOS_SIDECAR_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  const run: Cli = {
    pid: child.pid!,
    stdout: '',
    stderr: '',
    printed: (text) => new Promise((resolve) => (run.stdout.includes(text) ? resolve() : waiters.push({ text, resolve }))),
    exited: new Promise((resolve) => child.once('close', (code) => resolve(code))),
  };
  child.stdout.on('data', (d: Buffer) => {
    run.stdout += d.toString();
    for (const w of waiters.filter((w) => run.stdout.includes(w.text))) w.resolve();
  });
  child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(run.pid, 'SIGKILL');
  });
  return run;
}

/** Fails the test with what the CLI said, instead of hanging, when `promise` never settles. */
function within<T>(promise: Promise<T>, what: string, run: Cli, ms = 20_000): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} within ${ms} ms; stdout: ${run.stdout}; stderr: ${run.stderr}`)), ms).unref())]);
}

for (const encoding of ENCODINGS) {
  t.test(`ps and logs against the executor's switchboard (${encoding})`, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ps-logs-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const tokenFile = path.join(dir, 'token');
    const { agent } = await startExecutor(t, encoding, {}, { MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE: tokenFile });

    // `web` waits for a file before it writes its last lines; `keep` keeps the executor up.
    const web = uniqueId('web');
    const keep = uniqueId('keep');
    const healthy = agent.waitForUpdate((s) => s.task_id.value === keep && s.healthy === true);
    agent.launch(shellTask(keep, 'sleep 1000', { health_check: { type: 'COMMAND', command: { value: 'true' }, delay_seconds: 0, interval_seconds: 0.1 } }));
    agent.launch(shellTask(web, 'echo first; while [ ! -f go ]; do sleep 0.02; done; echo second; echo oops >&2; echo third'));
    const url = (await healthy).labels?.labels?.find((l) => l.key === SWITCHBOARD_URL_LABEL)?.value;
    t.ok(url, 'the switchboard URL from the status labels');
    const connection = ['--url', url!, '--token-file', tokenFile];

    // Independent CLI runs go side by side: each is a Node start-up of about a second here.
    const table = cli(t, ['ps', ...connection]);
    const json = cli(t, ['ps', '--json', ...connection]);
    const follow = cli(t, ['logs', '-f', ...connection, web]);

    t.equal(await table.exited, 0, `ps exits 0 (${table.stderr})`);
    const lines = table.stdout.trimEnd().split('\n');
    t.match(lines[0], /^TASK ID +STATE +HEALTHY +LAST CHECK +AGE +TTY +CPU +MEM \(RSS \/ LIMIT\) +PROCS +ISOLATION +CONTAINER ID$/, 'the header');
    const keepLine = lines.find((l) => l.startsWith(keep));
    t.match(keepLine, new RegExp(`^${keep} +TASK_RUNNING +true +\\S.* +\\d+s +no +\\S+ +\\S+( / \\S+)? +\\S+ +\\S+ +[\\w-]+\\.[\\w-]+$`), 'the healthy task: state, healthy, a check result, age, TTY, CPU, memory, processes, isolation, container id');
    t.equal(lines[0]!.indexOf('STATE'), keepLine!.indexOf('TASK_RUNNING'), 'columns aligned');

    t.equal(await json.exited, 0);
    const rows = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    const row = rows.find((r) => r.task_id === keep);
    t.match(row, { task_id: keep, state: 'TASK_RUNNING', healthy: true, last_check: String, age_seconds: Number, tty: false, container_id: /\./ }, '--json: one object per task');
    t.same(Object.keys(row!), ['task_id', 'state', 'healthy', 'last_check', 'age_seconds', 'tty', 'container_id', 'cpu_seconds', 'mem_rss_bytes', 'mem_limit_bytes', 'processes', 'isolation'], '--json keys');
    t.match(rows.find((r) => r.task_id === web), { healthy: null, last_check: null }, 'a task without checks');

    await within(follow.printed('first\n'), 'logs -f printed the first line', follow);
    writeFileSync(path.join(agent.sandbox, 'tasks', web, 'go'), '');
    t.equal(await within(follow.exited, 'logs -f exited after the task ended', follow), 0, 'logs -f exits 0 once the task ended and its file is drained');
    t.equal(follow.stdout, 'first\nsecond\nthird\n', 'logs -f printed the lines appended after it started');

    const tail = cli(t, ['logs', '--tail', '2', ...connection, web]);
    const stderr = cli(t, ['logs', '--stderr', ...connection, web]);
    const unknown = cli(t, ['logs', ...connection, 'no-such-task']);
    const badTail = cli(t, ['logs', '--tail', 'ten', ...connection, web]);
    t.equal(await tail.exited, 0);
    t.equal(tail.stdout, 'second\nthird\n', '--tail 2: the last two lines');
    t.equal(await stderr.exited, 0);
    t.equal(stderr.stdout, 'oops\n', '--stderr: the task stderr');
    t.equal(await unknown.exited, 2, 'an unknown task is a usage error');
    t.match(unknown.stderr, "no task 'no-such-task' on this switchboard");
    t.equal(await badTail.exited, 2, '--tail ten is a usage error');
    t.match(badTail.stderr, "--tail expects a number of lines, got 'ten'");
  });
}
