// `mesos-sidecar check` as a child process against real local targets.
import t from 'tap';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { listenOnLoopback } from '../helpers/ports.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { loadDefinition } from '../../cli/check.js';
import type { CheckFileError } from '../../checks/errors.js';

const BIN = fileURLToPath(new URL('../../../bin/mesos-sidecar', import.meta.url));

function runCli(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'check', ...args], { cwd, env: { ...process.env, MESOS_SIDECAR_LOG_LEVEL: 'silent' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

t.test('check CLI', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'checks-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    if (req.url === '/hang') return; // never answers
    res.writeHead(req.url === '/down' ? 503 : 200).end('x');
  });
  const port = await listenOnLoopback(t, server);
  const file = (name: string, json: unknown) => {
    writeFileSync(join(dir, name), typeof json === 'string' ? json : JSON.stringify(json));
    return name;
  };

  const ok = await runCli([file('ok.json', { type: 'HTTP', http: { port, path: '/ok' } })], dir);
  t.equal(ok.code, 0, 'healthy -> 0');
  t.match(ok.stdout, `HTTP health check: GET http://127.0.0.1:${port}/ok, timeout 20s\n#1 OK   status 200 (result) in `);

  const down = await runCli([file('down.json', { type: 'HTTP', http: { port, path: '/down' } })], dir);
  t.equal(down.code, 1, 'status 503 -> 1');
  t.match(down.stdout, /#1 FAIL status 503 \(result\) in [\d.]+ ms/);

  const hang = await runCli([file('hang.json', { type: 'HTTP', http: { port, path: '/hang' }, timeout_seconds: 0.3 })], dir);
  t.equal(hang.code, 1);
  t.match(hang.stdout, /#1 FAIL timed out after 300ms \(error TIMEOUT\) in [\d.]+ ms/);

  const refused = await runCli([file('tcp.json', { type: 'TCP', tcp: { port: 1 } })], dir);
  t.equal(refused.code, 1);
  t.match(refused.stdout, 'connect 127.0.0.1:1, timeout 20s\n#1 FAIL connect failed (connection refused) (result)');

  const cmd = await runCli([file('cmd.json', { type: 'COMMAND', command: { command: { value: 'echo "disk full" >&2; exit 2' } } })], dir);
  t.equal(cmd.code, 1);
  t.match(cmd.stdout, 'COMMAND check: sh -c "echo \\"disk full\\" >&2; exit 2"');
  t.match(cmd.stdout, /#1 FAIL exit 2 \(result\) in [\d.]+ ms\n {4}output: disk full\n/, 'a CheckInfo is recognised by command.command; output shown on failure');

  hits = 0;
  const watch = await runCli([file('watch.json', { type: 'HTTP', http: { port, path: '/ok' }, interval_seconds: 0.05, grace_period_seconds: 0 }), '--watch', '--count', '3'], dir);
  t.equal(watch.code, 0);
  t.equal(hits, 3, 'three probes');
  t.match(watch.stdout, /#1 OK .*\n {4}-> would report healthy=true: HTTP health check passed: status 200\n#2 OK .*\n#3 OK /);

  const bad = await runCli([file('bad.json', { type: 'HTTP', http: { port: 80 }, interval_seconds: -1 })], dir);
  t.equal(bad.code, 2, 'bad definition -> 2');
  t.equal(bad.stderr, 'mesos-sidecar check: bad.json: HealthCheck.interval_seconds must be >= 0, got -1\n');
  const noPort = await runCli([file('noport.json', { type: 'TCP', tcp: {} })], dir);
  t.equal(noPort.code, 2);
  t.equal(noPort.stderr, 'mesos-sidecar check: noport.json: HealthCheck.tcp.port: required field is missing\n');
  const notJson = await runCli([file('nj.json', '{type')], dir);
  t.equal(notJson.code, 2);
  t.match(notJson.stderr, /^mesos-sidecar check: nj\.json: nj\.json is not JSON: /);
  const badKind = await runCli(['ok.json', '--kind', 'readiness'], dir);
  t.equal(badKind.code, 2);
  t.equal(badKind.stderr, 'mesos-sidecar check: --kind must be health or check, got "readiness"\n');
});

t.test('check applies the file rules of run: unknown enum names stop it, unknown fields are reported, a whole task is pointed at its check', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'checks-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, json: unknown) => {
    writeFileSync(join(dir, name), JSON.stringify(json));
    return join(dir, name);
  };
  const web = JSON.parse(readFileSync(fileURLToPath(new URL('../../../examples/web-server.json', import.meta.url)), 'utf8'));
  // Each bad file -> CheckFileError (exit 2) with this message.
  const refused: Array<[what: string, json: unknown, kind: 'health' | 'check' | undefined, message: string | RegExp]> = [
    // Before: dropped, then "HealthCheck.type is required", without the typo.
    ['misspelt type', { type: 'HTPP', http: { port: 80 } }, undefined, 'HealthCheck.type: unknown enum value "HTPP" (expected one of COMMAND, HTTP, TCP)'],
    ['misspelt nested enum', { type: 'TCP', tcp: { port: 1, protocol: 'IPv5' } }, undefined, 'HealthCheck.tcp.protocol: unknown enum value "IPv5" (expected one of IPv4, IPv6)'],
    ['misspelt CheckInfo type', { type: 'TPC', command: { command: { value: 'true' } } }, 'check', 'CheckInfo.type: unknown enum value "TPC" (expected one of COMMAND, HTTP, TCP)'],
    ['a whole TaskInfo', web, undefined, /^this is a TaskInfo; its health_check is at \.health_check: give check that part alone \(jq \.health_check \S+task\.json > health_check\.json\)$/],
    ['a TaskInfo without checks', { name: 'x', command: { value: 'true' } }, undefined, 'this is a TaskInfo without health_check or check; give check a HealthCheck or a CheckInfo'],
    ['a TaskGroupInfo', { tasks: [web] }, undefined, /^this is a TaskGroupInfo; each task's health_check is at \.tasks\[N\]\.health_check/],
  ];
  for (const [what, json, kind, message] of refused) {
    const err = t.throws(() => loadDefinition(file('task.json', json), kind), what) as CheckFileError;
    t.equal(err.code, 'E_CHECK_FILE', what);
    if (typeof message === 'string') t.equal(err.message, message, what);
    else t.match(err.message, message, what);
  }
  const loaded = loadDefinition(file('extra.json', { type: 'TCP', tcp: { port: 1, prot: 'x' }, intervall_seconds: 3 }));
  t.same(loaded.warnings, ['HealthCheck.tcp.prot', 'HealthCheck.intervall_seconds'], 'unknown fields are reported, not dropped silently');

  // Through the CLI: the error line and exit 2, the warning line and the check still runs.
  const typo = await runCli([file('typo.json', refused[0]![1])], dir);
  t.equal(typo.code, 2);
  t.equal(typo.stderr, `mesos-sidecar check: ${join(dir, 'typo.json')}: HealthCheck.type: unknown enum value "HTPP" (expected one of COMMAND, HTTP, TCP)\n`);
  const extra = await runCli(['extra.json'], dir);
  t.equal(extra.code, 1, 'port 1 refuses: the check ran');
  t.equal(extra.stderr, 'mesos-sidecar check: extra.json: ignoring HealthCheck.tcp.prot (unknown field)\nmesos-sidecar check: extra.json: ignoring HealthCheck.intervall_seconds (unknown field)\n');
});

t.test('check --watch runs until Ctrl-C and exits with the last verdict', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'checks-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'tcp.json'), JSON.stringify({ type: 'TCP', tcp: { port: 1 }, interval_seconds: 0.05, grace_period_seconds: 0, consecutive_failures: 2 }));
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [BIN, 'check', 'tcp.json', '--watch'], { cwd: dir, env: { ...process.env, MESOS_SIDECAR_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  // Interrupt once the kill decision has been printed: the third probe is then under way or done.
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('and kill the task')) resolve();
    });
  });
  child.kill('SIGINT');
  const [code] = (await once(child, 'exit')) as [number | null];
  t.equal(code, 1, 'last result refused -> 1');
  t.match(out, /#1 FAIL connect failed \(connection refused\) \(result\) in [\d.]+ ms\n {4}-> would report healthy=false: TCP health check failed 1 of 2: connect failed \(connection refused\)\n#2 FAIL .*\n {4}-> would report healthy=false and kill the task: TCP health check failed 2 of 2/);
});
