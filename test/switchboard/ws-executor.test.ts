// The gateway on the real executor's switchboard (a child process against the agent
// emulator, both encodings): configured from MESOS_SIDECAR_SWITCHBOARD_* as operators set
// it, exec into a task and attach to a TTY task over WebSockets, the session's process gone
// once its socket closed.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SWITCHBOARD_URL_LABEL } from '../../contracts/switchboard.js';
import { WS_ATTACH_PREFIX, WS_EXEC_PREFIX } from '../../contracts/ws-gateway.js';
import { ENCODINGS, logLines, shellTask, startExecutor, uniqueId } from '../helpers/tasks.js';
import { processGone, until } from '../helpers/wait.js';
import { isRefused, openGateway, openOk } from '../helpers/ws-gateway.js';

const DASHBOARD = 'https://dash.example.com';

for (const encoding of ENCODINGS) {
  t.test(`the executor's gateway (${encoding})`, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ws-executor-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const tokenFile = path.join(dir, 'token');
    const { agent, exec } = await startExecutor(t, encoding, {}, { MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE: tokenFile, MESOS_SIDECAR_SWITCHBOARD_ALLOWED_ORIGINS: DASHBOARD });
    const [plain, term] = [uniqueId('plain'), uniqueId('term')];
    const running = (id: string) => agent.waitForUpdate((s) => s.task_id.value === id && s.state === 'TASK_RUNNING');
    const [plainRunning, termRunning] = [running(plain), running(term)];
    agent.launch(shellTask(plain, 'sleep 1000'));
    agent.launch(shellTask(term, 'while read line; do echo "task got $line"; done', { container: { type: 'MESOS', tty_info: { window_size: { columns: 80, rows: 24 } } } }));
    const url = (await plainRunning).labels?.labels?.find((l) => l.key === SWITCHBOARD_URL_LABEL)?.value;
    await termRunning;
    t.ok(url, 'the switchboard URL from the status labels');
    // The generated token file: a bare token.
    const token = readFileSync(tokenFile, 'utf8').trim();

    const foreign = await openGateway(url!, `${WS_EXEC_PREFIX}${plain}`, { token, origin: 'https://evil.example' });
    t.ok(isRefused(foreign) && foreign.status === 403, 'a foreign Origin: 403');
    const wrong = await openGateway(url!, `${WS_EXEC_PREFIX}${plain}`, { token: 'nope', origin: DASHBOARD });
    t.ok(isRefused(wrong) && wrong.status === 401, 'a wrong token: 401');

    const s = await openOk(url!, `${WS_EXEC_PREFIX}${plain}?tty=1`, { token, origin: DASHBOARD });
    const { container_id } = await s.message('started');
    s.type('echo "in $MESOS_SANDBOX"\r');
    await s.waitForOutput(/in \/\S+\r\n/);
    t.pass(`exec from the origin in MESOS_SIDECAR_SWITCHBOARD_ALLOWED_ORIGINS runs in the task's sandbox`);
    await until(() => logLines(exec).some((l) => l.msg === 'exec session started' && l.session === container_id), 'the session start logged');
    const pid = logLines(exec).find((l) => l.msg === 'exec session started' && l.session === container_id)!.pid as number;
    s.ws.close();
    await until(() => processGone(pid), `session process ${pid} gone after its socket closed`);
    await until(() => logLines(exec).some((l) => l.audit === true && l.msg === 'session ended' && l.transport === 'websocket' && l.container === container_id), 'the session end audited with transport websocket');

    const a = await openOk(url!, `${WS_ATTACH_PREFIX}${term}`, { token });
    await a.message('started');
    a.type('ping\r');
    await a.waitForOutput('task got ping');
    a.ws.close();
    await a.closed;
    t.pass('attached to the TTY task, typed, saw its answer');
  });
}
