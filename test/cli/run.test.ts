// `mesos-sidecar run` end to end: the real CLI as a child process, which starts the agent
// emulator and the real executor, on the shipped example files. Ctrl-C is sent the way a
// terminal sends it: SIGINT to the whole foreground process group.
import t, { type Test } from 'tap';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { groupAlive, signalGroup } from '../../common/process.js';
import { releasedPort } from '../helpers/ports.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'bin', 'mesos-sidecar');
const example = (name: string): string => join(root, 'examples', name);

// The environment a user's shell would give the CLI: without tap's NODE_OPTIONS hooks,
// which would otherwise follow the CLI into the executor it spawns.
function cliEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (k !== 'NODE_OPTIONS' && !k.startsWith('_TAPJS_') && !k.startsWith('TAP')) env[k] = v;
  env.MESOS_SIDECAR_LOG_LEVEL = 'warn';
  return env;
}

interface RunningCli {
  child: ChildProcess;
  pid: number;
  lines: string[];
  stderr: () => string;
  /** Resolves with the first stdout line (already printed or still to come) matching `re`. */
  waitForLine(re: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCli(t: Test, args: string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  // detached: a process group of its own, as a shell gives a foreground job.
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...cliEnvironment(), ...env } });
  const pid = child.pid!;
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (line: string) => void }> = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of [...waiters]) {
      if (w.re.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  // 'close', not 'exit': stdout must be fully read before we look at the lines.
  const exited = once(child, 'close').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  let closed = false;
  void exited.then(() => (closed = true));
  t.teardown(async () => {
    if (closed) return;
    // The CLI failed to finish: kill it, and have its executor (a process group of its
    // own, holding our stdout pipe) kill its tasks and leave.
    signalGroup(pid, 'SIGKILL');
    const executor = lines.map((l) => /^==> executor pid (\d+)/.exec(l)?.[1]).find(Boolean);
    if (executor) signalGroup(Number(executor), 'SIGTERM');
    await exited;
  });
  return {
    child,
    pid,
    lines,
    stderr: () => stderr,
    exited,
    waitForLine(re) {
      const seen = lines.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ re, resolve });
        void exited.then(() => reject(new Error(`CLI exited before printing ${re}; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`)));
      });
    },
  };
}

function statesOf(lines: string[], taskPrefix: string): string[] {
  return lines.filter((l) => l.split(/\s+/)[1]?.startsWith(taskPrefix)).map((l) => l.split(/\s+/)[2]!);
}

function findFile(dir: string, name: string): string | undefined {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) {
      const found = findFile(p, name);
      if (found) return found;
    } else if (entry === name) return p;
  }
  return undefined;
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'run-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

for (const encoding of ['protobuf', 'json']) {
  t.test(`hello.json finishes: STARTING, RUNNING, FINISHED, exit 0 (${encoding})`, async (t) => {
    const keep = tempDir(t);
    const cli = startCli(t, ['run', example('hello.json'), '--encoding', encoding, '--keep-sandbox']);
    const { code } = await cli.exited;
    t.equal(code, 0, cli.stderr());
    t.same(statesOf(cli.lines, 'hello.'), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
    t.match(cli.lines.find((l) => l.includes('TASK_FINISHED')), /message="Command exited with status 0"/);
    // The task really ran in its sandbox, with CommandInfo.environment applied.
    const sandboxLine = cli.lines.find((l) => l.startsWith('==> executor pid '))!;
    const sandbox = / sandbox (\S+)/.exec(sandboxLine)![1]!;
    t.teardown(() => rmSync(sandbox, { recursive: true, force: true }));
    t.ok(keep);
    const stdoutFile = findFile(sandbox, 'stdout');
    t.ok(stdoutFile, 'task stdout file kept in the sandbox');
    // --keep-sandbox names the task's own directory, not only the root.
    const kept = cli.lines.map((l) => /^==> kept the sandbox of (hello\.[0-9a-f]{8}): (\S+)$/.exec(l)).find(Boolean);
    t.ok(kept, 'the task sandbox is printed');
    t.equal(join(kept![2]!, 'stdout'), stdoutFile);
    t.ok(cli.lines.some((l) => /^hello \| hello from the sandbox \//.test(l)), 'its output was shown too');
    const text = readFileSync(stdoutFile!, 'utf8');
    t.match(text, /hello from the sandbox \//);
    t.match(text, /GREETING=hi/);
  });
}

t.test('failing-task.json: its stdout and stderr, prefixed, before TASK_FAILED naming exit status 3, exit 1', async (t) => {
  const cli = startCli(t, ['run', example('failing-task.json')]);
  const { code } = await cli.exited;
  t.equal(code, 1);
  t.same(statesOf(cli.lines, 'failing-task.'), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FAILED']);
  const failed = cli.lines.findIndex((l) => l.includes('TASK_FAILED'));
  t.match(cli.lines[failed], /message="Command exited with status 3"/);
  // Before: neither line was shown, and the sandbox holding them was deleted on exit.
  const said = cli.lines.indexOf('failing-task | doing some work');
  const gaveUp = cli.lines.indexOf('failing-task | giving up with status 3');
  t.ok(said >= 0 && said < failed, `stdout shown before the terminal update:\n${cli.lines.join('\n')}`);
  t.ok(gaveUp >= 0 && gaveUp < failed, 'the last line of stderr shown before the terminal update');
});

t.test('--quiet: status updates only, not the task output; logs on a pipe are JSON', async (t) => {
  const cli = startCli(t, ['run', example('failing-task.json'), '--quiet'], { MESOS_SIDECAR_LOG_LEVEL: 'info' });
  t.equal((await cli.exited).code, 1);
  t.equal(statesOf(cli.lines, 'failing-task.').at(-1), 'TASK_FAILED');
  t.same(cli.lines.filter((l) => l.includes(' | ')), []);
  const entries = cli.stderr().trimEnd().split('\n').map((l) => JSON.parse(l) as { msg: string; name: string });
  t.ok(entries.some((e) => e.name === 'mesos-sidecar-run' && e.msg === 'executor subscribed'), 'our own log, JSON');
  t.ok(entries.some((e) => e.name === 'mesos-sidecar-executor'), "the executor's log, JSON");
});

t.test('MESOS_SIDECAR_LOG_FORMAT=pretty: every log line readable, ours and the executor\'s', async (t) => {
  const cli = startCli(t, ['run', example('failing-task.json'), '--quiet'], { MESOS_SIDECAR_LOG_LEVEL: 'info', MESOS_SIDECAR_LOG_FORMAT: 'pretty' });
  t.equal((await cli.exited).code, 1);
  const lines = cli.stderr().trimEnd().split('\n');
  t.same(lines.filter((l) => !/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] (INFO|WARN|ERROR): /.test(l)), [], 'no JSON, no stack: one readable line each');
  t.ok(lines.some((l) => l.endsWith('INFO: executor subscribed')), 'our own log');
  t.ok(lines.some((l) => / INFO: task process exited task_id=failing-task\.\S+ state=TASK_FAILED code=3$/.test(l)), "the executor's log, through the same formatter");
});

t.test('on a terminal the logs are readable lines by default, and task prefixes are colored', async (t) => {
  const pty = await import('node-pty');
  const env = { ...cliEnvironment(), MESOS_SIDECAR_LOG_LEVEL: 'info' } as Record<string, string>;
  delete env.NO_COLOR; // tap's own setting, not a user's
  const term = pty.spawn(bin, ['run', example('failing-task.json')], { cols: 200, rows: 50, env });
  let text = '';
  let done = false;
  t.teardown(() => {
    if (!done) signalGroup(term.pid, 'SIGKILL');
  });
  term.onData((d) => (text += d));
  const exitCode = await new Promise<number>((resolve) => term.onExit((e) => ((done = true), resolve(e.exitCode))));
  t.equal(exitCode, 1);
  t.match(text, /\] .*INFO.*: .*executor subscribed/, 'a readable log line');
  t.notMatch(text, /\{"level"/, 'no JSON on a terminal');
  t.match(text, /\x1b\[36mfailing-task \|\x1b\[0m giving up with status 3/, 'the task prefix in its color');
});

t.test('task-group.json: migrate fails, its siblings are killed, exit 1', async (t) => {
  const cli = startCli(t, ['run', example('task-group.json')]);
  const { code } = await cli.exited;
  t.equal(code, 1);
  t.equal(statesOf(cli.lines, 'migrate.').at(-1), 'TASK_FAILED');
  t.equal(statesOf(cli.lines, 'frontend.').at(-1), 'TASK_KILLED');
  t.equal(statesOf(cli.lines, 'cache.').at(-1), 'TASK_KILLED');
  t.match(cli.lines.find((l) => / frontend\.\S+\s+TASK_KILLED/.test(l)), /killed because task 'migrate\.[0-9a-f]{8}' of its group ended/);
});

t.test('Ctrl-C on the long-running web server: KILL through its kill policy, TASK_KILLED, exit 0', async (t) => {
  // The example on a free port, so that the test does not collide with `make run`.
  const dir = tempDir(t);
  const port = await releasedPort();
  const web = readFileSync(example('web-server.json'), 'utf8').replaceAll('8480', String(port));
  writeFileSync(join(dir, 'web.json'), web);
  const cli = startCli(t, ['run', join(dir, 'web.json')]);
  await cli.waitForLine(/ web-server\.\S+\s+TASK_RUNNING/);
  // The example's HTTP health check passes: the server answers.
  t.match(await cli.waitForLine(/ web-server\.\S+\s+TASK_RUNNING\s+healthy=true/), /reason=REASON_TASK_HEALTH_CHECK_STATUS_UPDATED/);
  const res = await fetch(`http://127.0.0.1:${port}/`);
  t.equal(res.status, 200);
  await res.arrayBuffer();
  // The exec hint works as printed (non-interactive here: no terminal in a test).
  const hint = await cli.waitForLine(/^==> exec into it: /);
  const m = /exec -it (--url \S+ --token-file \S+) (web-server\.\S+) -- \/bin\/sh$/.exec(hint);
  t.ok(m, hint);
  const [urlFlag, url, tokenFlag, tokenFile] = m![1]!.split(' ');
  const exec = startCli(t, ['exec', urlFlag!, url!, tokenFlag!, tokenFile!, m![2]!, '--', 'sh', '-c', 'echo "task=$MESOS_TASK_ID"; exit 7']);
  t.equal((await exec.exited).code, 7, 'the remote exit status is the CLI\'s');
  t.same(exec.lines, [`task=${m![2]}`]);
  t.notOk(cli.lines.some((l) => l.startsWith('==> attach')), 'no attach hint: the web server has no terminal');
  // Beside it, the task page on the same switchboard, which answers with the page.
  const pageHint = await cli.waitForLine(/^==> open the task page: /);
  t.equal(pageHint, `==> open the task page: ${url}/ui/ (token in ${tokenFile})`, 'the page on the switchboard of the exec hint, and the token file');
  const pageResponse = await fetch(`${url}/ui/`);
  t.equal(pageResponse.status, 200, 'the printed address serves the page');
  t.match(await pageResponse.text(), /<title>mesos-sidecar: tasks<\/title>/);
  signalGroup(cli.pid, 'SIGINT');
  await cli.waitForLine(/ web-server\.\S+\s+TASK_KILLED/);
  const { code } = await cli.exited;
  t.equal(code, 0, cli.stderr());
  const states = statesOf(cli.lines, 'web-server.').filter((s) => s !== 'TASK_RUNNING');
  t.same(states, ['TASK_STARTING', 'TASK_KILLING', 'TASK_KILLED'], 'TASK_KILLING (framework capability) then TASK_KILLED');
  t.ok(cli.lines.some((l) => /^==> SIGINT: killing 1 live task/.test(l)));
  t.notOk(groupAlive(cli.pid), 'nothing left in the CLI process group');
  await t.rejects(fetch(`http://127.0.0.1:${port}/`), 'the server is gone');
});

t.test('the exec hint is printed once, quoted for a shell: a task id with a space, a quote and a $ execs as printed', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'odd.json');
  const taskId = "odd's task $HOME";
  writeFileSync(file, JSON.stringify({ name: 'odd', task_id: { value: taskId }, command: { value: 'exec sleep 600' } }));
  const cli = startCli(t, ['run', file]);
  const hint = await cli.waitForLine(/^==> exec into it: /);
  // What a shell makes of the printed command line, word by word.
  const words = execFileSync('sh', ['-c', `set -- ${hint.slice('==> exec into it: '.length)}; printf '%s\\n' "$@"`], { encoding: 'utf8' }).trimEnd().split('\n');
  t.same(words.slice(1, 7), ['exec', '-it', '--url', words[4], '--token-file', words[6]]);
  t.same(words.slice(7), [taskId, '--', '/bin/sh'], 'the task id survives the shell as one word');
  const exec = startCli(t, ['exec', ...words.slice(3, 8), '--', 'sh', '-c', 'echo "task=$MESOS_TASK_ID"']);
  t.equal((await exec.exited).code, 0, exec.stderr());
  t.same(exec.lines, [`task=${taskId}`]);
  signalGroup(cli.pid, 'SIGINT');
  t.equal((await cli.exited).code, 0);
  t.equal(cli.lines.filter((l) => l.startsWith('==> exec into it: ')).length, 1, 'one hint for the one task');
});

t.test('tty-task.json: a terminal task also gets the attach command', async (t) => {
  const cli = startCli(t, ['run', example('tty-task.json')]);
  const attach = await cli.waitForLine(/^==> attach to its terminal: /);
  t.match(attach, /attach --url http:\/\/127\.0\.0\.1:\d+ --token-file \S+switchboard\.token console\.[0-9a-f]{8}$/);
  signalGroup(cli.pid, 'SIGINT');
  t.equal((await cli.exited).code, 0);
  t.equal(statesOf(cli.lines, 'console.').at(-1), 'TASK_KILLED');
});

t.test('a second Ctrl-C shuts the executor down: a task ignoring SIGTERM with a 60 s grace is SIGKILLed within the shutdown grace', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'stubborn.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'stubborn',
      command: { value: "trap '' TERM; echo up; while :; do sleep 1; done" },
      kill_policy: { grace_period: { nanoseconds: 60_000_000_000 } },
    }),
  );
  const cli = startCli(t, ['run', file]);
  await cli.waitForLine(/ stubborn\.\S+\s+TASK_RUNNING/);
  // RUNNING says the task's container exists; its shell sets the trap a moment later.
  await cli.waitForLine(/^stubborn \| up$/);
  signalGroup(cli.pid, 'SIGINT');
  await cli.waitForLine(/ stubborn\.\S+\s+TASK_KILLING/);
  signalGroup(cli.pid, 'SIGINT');
  await cli.waitForLine(/^==> SIGINT: shutting the executor down/);
  const killed = await cli.waitForLine(/ stubborn\.\S+\s+TASK_KILLED/);
  t.match(killed, /message="Command terminated with signal Killed"/, 'SIGKILL, not the ignored SIGTERM');
  const { code } = await cli.exited;
  t.equal(code, 0, 'killed at the user\'s request');
});

t.test('the executor dying under live tasks is reported, exit 1', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'sleeper.json');
  writeFileSync(file, JSON.stringify({ name: 'sleeper', command: { value: 'exec sleep 600' } }));
  const cli = startCli(t, ['run', file]);
  const header = await cli.waitForLine(/^==> executor pid \d+/);
  await cli.waitForLine(/ sleeper\.\S+\s+TASK_RUNNING/);
  // What the agent does when it destroys the container: SIGTERM to the executor.
  signalGroup(Number(/pid (\d+)/.exec(header)![1]), 'SIGTERM');
  const { code } = await cli.exited;
  t.equal(code, 1);
  t.match(cli.lines.at(-1), /^==> the executor exited with status 143 while tasks were live: sleeper\.\S+ TASK_RUNNING$/);
});

t.test('a misspelt enum name: exit 2 naming the field path, the value and the expected names', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'typo.json');
  writeFileSync(file, JSON.stringify({ name: 'x', command: { value: 'true' }, health_check: { type: 'HTPP', http: { port: 80 } } }));
  const cli = startCli(t, ['run', file]);
  t.equal((await cli.exited).code, 2);
  t.equal(cli.stderr(), `mesos-sidecar run: ${file}: TaskInfo.health_check.type: unknown enum value "HTPP" (expected one of COMMAND, HTTP, TCP)\n`);
  t.same(cli.lines, [], 'nothing started');
});

t.test('bad file: exit 2 with a message naming the field', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'bad.json');
  writeFileSync(file, '{"name":"x","command":{"shell":"yes","value":"true"}}');
  const cli = startCli(t, ['run', file]);
  const { code } = await cli.exited;
  t.equal(code, 2);
  t.match(cli.stderr(), `mesos-sidecar run: ${file}: TaskInfo.command.shell: expected a boolean, got "yes"`);
  t.same(cli.lines, [], 'nothing started, nothing printed on stdout');
});

t.test('missing file and bad options: exit 2', async (t) => {
  const missing = startCli(t, ['run', '/nonexistent/task.json']);
  t.equal((await missing.exited).code, 2);
  t.match(missing.stderr(), /\/nonexistent\/task\.json: cannot read: ENOENT/);
  const encoding = startCli(t, ['run', example('hello.json'), '--encoding', 'xml']);
  t.equal((await encoding.exited).code, 2);
  t.match(encoding.stderr(), /--encoding: expected json or protobuf, got "xml"/);
  const none = startCli(t, ['run']);
  t.equal((await none.exited).code, 2);
  t.match(none.stderr(), /missing FILE\.json/);
});
