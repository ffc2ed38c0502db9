// Exec through the WebSocket gateway, through the real wire: the `ws` client against a
// real switchboard, real PTYs and processes; a task without a container and one in its own.
import t, { type Test } from 'tap';
import { WS_EXEC_PREFIX } from '../../contracts/ws-gateway.js';
import { openOk } from '../helpers/ws-gateway.js';
import { processGone, startContainerFixture, startFixture, TOKEN, until, type Fixture, type TestTask } from './harness.js';

const execPath = (task: TestTask, query = '') => `${WS_EXEC_PREFIX}${encodeURIComponent(task.taskId)}${query ? `?${query}` : ''}`;

/** The pid of the session a socket runs: the only live session of the fixture. */
function sessionPid(fx: Fixture, containerText: string): number {
  const line = fx.logs.find((l) => l.msg === 'exec session started' && l.session === containerText);
  if (!line) throw new Error(`no 'exec session started' log line for ${containerText}`);
  return line.pid as number;
}

async function interactive(t: Test, fx: Fixture, task: TestTask): Promise<void> {
  const s = await openOk(fx.url, execPath(task, 'tty=1&columns=100&rows=30'), { token: TOKEN });
  t.equal(s.ws.protocol, 'mesos-sidecar.v1', 'the server selects mesos-sidecar.v1, never the credential');
  const started = await s.message('started');
  t.equal(started.tty, true);
  t.match(started.container_id, new RegExp(`^executor-cid\\.${task.taskId}-cid\\.ws-`), 'the session nests under the task container');
  s.type('stty size; echo h""i\r');
  await s.waitForOutput('30 100\r\n');
  await s.waitForOutput('hi\r\n');
  s.control({ type: 'resize', columns: 120, rows: 40 });
  s.type('stty size\r');
  await s.waitForOutput('40 120\r\n');
  s.type('exit 3\r');
  const exit = await s.message('exit');
  t.same(exit, { type: 'exit', exit_status: 3 << 8, exit_code: 3, signal: null }, 'exit message: raw status and the code');
  const closed = await s.closed;
  t.equal(closed.code, 1000, 'closed normally after the exit message');
  const ended = fx.logs.find((l) => l.audit === true && l.msg === 'session ended' && l.container === started.container_id);
  t.match(ended, { event: 'session', principal: 'ops', transport: 'websocket', exit_status: 768, tty: true, command: '/bin/sh' }, 'the session is audited with transport websocket');
  t.ok((ended?.bytes_in as number) > 20 && (ended?.bytes_out as number) > 20, 'bytes in and out audited');
  t.ok(fx.logs.some((l) => l.audit === true && l.msg === 'session started' && l.transport === 'websocket' && l.container === started.container_id));
}

async function closedMidSession(t: Test, fx: Fixture, task: TestTask): Promise<void> {
  const s = await openOk(fx.url, execPath(task, 'tty=1'), { token: TOKEN });
  const { container_id } = await s.message('started');
  s.type('echo ready-$((6*7))\r');
  await s.waitForOutput('ready-42');
  const pid = sessionPid(fx, container_id);
  t.notOk(processGone(pid), 'the session runs');
  s.ws.close();
  await until(() => processGone(pid), `session process ${pid} gone after the socket closed`);
  t.pass(`session process ${pid} is gone`);
  await until(() => fx.logs.some((l) => l.msg === 'session ended' && l.container === container_id), 'the end audited');
}

t.test('exec over the gateway, task without a container', async (t) => {
  const fx = await startFixture(t);
  const task = fx.task('web', 'sleep 1000');

  await t.test('tty: echo, resize and stty size, exit 3 -> exit message and 1000', (t) => interactive(t, fx, task));

  await t.test('no tty: arg= values (no shell), stdin-end closes stdin, stderr comes too', async (t) => {
    const s = await openOk(fx.url, execPath(task, 'arg=/bin/sh&arg=-c&arg=' + encodeURIComponent('tr a-z A-Z; echo err-side >&2; exit 5')), { token: TOKEN });
    t.equal((await s.message('started')).tty, false);
    s.type('hello ');
    s.type('gateway\n');
    s.control({ type: 'stdin-end' });
    const exit = await s.message('exit');
    t.equal(exit.exit_code, 5);
    t.match(s.output, 'HELLO GATEWAY\n', 'stdin reached the command and its stdout came back');
    t.match(s.output, 'err-side\n', 'stderr in binary frames too');
    t.equal((await s.closed).code, 1000);
  });

  await t.test('command= runs through sh -c in the task environment', async (t) => {
    const s = await openOk(fx.url, execPath(task, `command=${encodeURIComponent('echo "$TASK_MARKER"; kill -TERM $$')}`), { token: TOKEN });
    const exit = await s.message('exit');
    t.match(s.output, 'marker-web\n');
    t.same([exit.exit_status, exit.exit_code, exit.signal], [15, null, 15], 'killed by SIGTERM: signal decoded, no exit code');
  });

  await t.test('a command that does not exist: its message and 127, as over HTTP', async (t) => {
    const s = await openOk(fx.url, execPath(task, 'arg=no-such-command-xyz'), { token: TOKEN });
    const exit = await s.message('exit');
    t.equal(exit.exit_code, 127);
    t.match(s.output, "Failed to execute 'no-such-command-xyz': No such file or directory");
    t.equal((await s.closed).code, 1000);
  });

  await t.test('closing the socket mid-session leaves no process (by pid)', (t) => closedMidSession(t, fx, task));

  await t.test('an idle socket outlives headersTimeout (the upgrade clears the idle-connection timer)', async (t) => {
    // headersTimeout of this fixture is the default 5 s; a quiet shell must not be cut at it.
    const quick = await startFixture(t, { limits: { headersTimeoutMs: 200 }, heartbeatIntervalMs: 50 });
    const task2 = quick.task('idle', 'sleep 1000');
    const s = await openOk(quick.url, execPath(task2, 'tty=1'), { token: TOKEN });
    await s.message('started');
    let pings = 0;
    s.ws.on('ping', () => pings++);
    // 10 heartbeats of 50 ms: well past the 200 ms headers timeout.
    await s.until(() => pings >= 10, '10 heartbeat pings');
    t.equal(s.ws.readyState, s.ws.OPEN, 'still open after 10 heartbeats');
    s.type('echo alive\r');
    await s.waitForOutput('alive\r\n');
    s.ws.close();
    await s.closed;
  });
});

t.test('exec over the gateway, task in its own container', async (t) => {
  const fx = await startContainerFixture(t);
  if (!fx) return;
  const task = await fx.containerTask('boxed', 'exec sleep 1000');
  await t.test('tty: echo, resize and stty size, exit 3', (t) => interactive(t, fx, task));
  await t.test('closing the socket mid-session leaves no process (by pid)', (t) => closedMidSession(t, fx, task));
});

