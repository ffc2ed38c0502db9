// Attach to a TTY task through the WebSocket gateway: live output (and a tail of the
// earlier output), typed input echoed by the task's terminal, resize; closing the socket
// detaches without touching the task; the task's end is the exit message.
import t from 'tap';
import { WS_ATTACH_PREFIX } from '../../contracts/ws-gateway.js';
import { isRefused, openGateway, openOk } from '../helpers/ws-gateway.js';
import { groupAlive, startFixture, TOKEN, until } from './harness.js';

t.test('attach over the gateway', async (t) => {
  const fx = await startFixture(t);
  const task = fx.task('shell', 'echo started; while read line; do [ "$line" = quit ] && exit 4; [ "$line" = size ] && stty size; echo "you said $line"; done', { tty: true });
  await until(() => Buffer.concat(task.output).toString().includes('started'), 'the task printed its prompt');
  const path = `${WS_ATTACH_PREFIX}${encodeURIComponent(task.taskId)}`;

  await t.test('type, see the echo and the answer; resize; close: the task still runs', async (t) => {
    const s = await openOk(fx.url, `${path}?tail=4096`, { token: TOKEN });
    t.same(await s.message('started'), { type: 'started', container_id: 'executor-cid.shell-cid', tty: true });
    await s.waitForOutput('started', 5000);
    t.pass('tail=4096 replayed what the task printed before the attach');
    const second = await openGateway(fx.url, path, { token: TOKEN });
    t.ok(isRefused(second) && second.status === 409, 'a second attach while one holds the input: 409');
    s.type('hello\r');
    await s.waitForOutput('hello\r\n');
    await s.waitForOutput('you said hello');
    s.control({ type: 'resize', columns: 91, rows: 27 });
    s.type('size\r');
    await s.waitForOutput('27 91\r\n');
    s.ws.close();
    t.equal((await s.closed).code, 1005, 'closed by the client');
    await until(() => fx.logs.some((l) => l.audit === true && l.msg === 'attach-input ended' && l.transport === 'websocket'), 'the attach end audited');
    t.ok(groupAlive(task.pid!), 'the task runs on after the socket closed');
    t.notOk(task.terminated);
    const audits = fx.logs.filter((l) => l.audit === true && l.transport === 'websocket');
    t.ok(audits.some((l) => l.msg === 'attach-input ended' && l.bytes_in === 11 && l.principal === 'ops'), 'input audited with bytes in');
    t.ok(audits.some((l) => l.msg === 'attach-output ended' && (l.bytes_out as number) > 0 && l.tail_bytes === 4096), 'output audited with the tail asked for');
  });

  await t.test('the task ends: exit message with its status, then 1000', async (t) => {
    const s = await openOk(fx.url, path, { token: TOKEN });
    await s.message('started');
    t.notMatch(s.output, 'started', 'no replay without tail=');
    s.type('quit\r');
    const exit = await s.message('exit');
    t.same(exit, { type: 'exit', exit_status: 4 << 8, exit_code: 4, signal: null });
    t.equal((await s.closed).code, 1000);
  });
});

t.test('attach refusals: a task without a TTY (400), a bad tail (400)', async (t) => {
  const fx = await startFixture(t);
  const plain = fx.task('plain', 'sleep 1000');
  const tty = fx.task('tty', 'sleep 1000', { tty: true });
  const noTty = await openGateway(fx.url, `${WS_ATTACH_PREFIX}plain`, { token: TOKEN });
  t.ok(isRefused(noTty));
  if (isRefused(noTty)) {
    t.equal(noTty.status, 400);
    t.match(noTty.body, "Task 'plain' has no terminal to attach to");
  }
  const badTail = await openGateway(fx.url, `${WS_ATTACH_PREFIX}tty?tail=lots`, { token: TOKEN });
  t.ok(isRefused(badTail) && badTail.status === 400 && /tail/.test(badTail.body), `tail=lots: 400 naming tail`);
  t.ok(plain.pid && tty.pid);
});
