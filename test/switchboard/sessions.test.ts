// Exec sessions through the real wire in both encodings: real processes, real PTYs.
import t from 'tap';
import { requireRoot } from '../helpers/wait.js';
import { userInfo } from 'node:os';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { ManualClock } from '../../common/clock.js';
import type { mesos } from '../../proto/codec.js';
import { parseAcl } from '../../switchboard/acl.js';
import { isOutputStream, stdinRecord, ttyInfoRecord } from '../../switchboard/client.js';
import { collect, ENCODINGS, launchCall, processGone, sessionId, sessionOpener, startFixture, until } from './harness.js';

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: sessions`, async (t) => {
    const fx = await startFixture(t);
    const task = fx.task('web', 'sleep 1000');

    const open = sessionOpener(fx, encoding);

    await t.test('tty and stty size reflect the requested window', async (t) => {
      const id = sessionId(task);
      const s = await open(id, { value: 'tty && stty size && echo "$TASK_MARKER" && pwd' }, { window_size: { rows: 30, columns: 100 } });
      t.equal(s.headers['content-type'], 'application/recordio');
      t.equal(s.headers['message-content-type'], encoding);
      const out = await collect(s.records);
      const text = out.stdout.toString();
      t.match(text, /^\/dev\/pts\/\d+\r\n30 100\r\nmarker-web\r\n/, 'PTY slave, window 30x100, task env; \\n -> \\r\\n by the line discipline');
      t.ok(text.includes(fx.sandbox), 'runs in the task working directory');
      t.equal(out.stderr.length, 0, 'no STDERR records with a TTY');
      t.equal(out.emptyData, 0, 'never an empty DATA record');
      t.equal(await fx.client.wait(id, 'WAIT_CONTAINER', encoding), 0);
    });

    await t.test('interactive TTY: 0x0 then a real size, resize, echo, exit status', async (t) => {
      const id = sessionId(task);
      const s = await open(id, { shell: false, value: '/bin/sh', arguments: ['sh'] }, {});
      const input = fx.client.openInput(id, encoding);
      await input.send(ttyInfoRecord(0, 0));
      await input.send(ttyInfoRecord(132, 50));
      let stage = 0;
      const out = collect(s.records, (text) => {
        if (stage === 0 && text.includes('hello-42')) {
          stage = 1;
          void input.send(ttyInfoRecord(90, 33)).then(() => input.send(stdinRecord('stty size\n')));
        } else if (stage === 1 && text.includes('33 90')) {
          stage = 2;
          void input.send(stdinRecord('exit 3\n'));
        }
      });
      await input.send(stdinRecord('stty size; echo hello-$((40+2))\n'));
      const text = (await out).stdout.toString();
      t.match(text, 'stty size; echo hello-$((40+2))', 'input is echoed by the terminal');
      t.match(text, /50 132\r\n/, 'size after the 0x0 and real TTY_INFO');
      t.match(text, /33 90\r\n/, 'resized window');
      input.end();
      t.equal((await input.response).status, 200);
      t.equal(await fx.client.wait(id, 'WAIT_NESTED_CONTAINER', encoding), 3 << 8, 'exit 3 -> raw wait status 768');
    });

    await t.test('exit 0 / exit 1 / SIGKILL as raw wait statuses', async (t) => {
      for (const [command, status] of [['exit 0', 0], ['exit 1', 256], ['kill -9 $$', 9]] as const) {
        const id = sessionId(task);
        const s = await open(id, { value: command });
        await collect(s.records);
        t.equal(await fx.client.wait(id, 'WAIT_CONTAINER', encoding), status, `${command} -> ${status}`);
        t.equal(await fx.client.wait(id, 'WAIT_NESTED_CONTAINER', encoding), status, 'still queryable until REMOVE');
        const removed = await fx.client.call({ type: 'REMOVE_CONTAINER', remove_container: { container_id: id } }, encoding);
        t.equal(removed.status, 200);
        const after = await fx.client.call({ type: 'WAIT_CONTAINER', wait_container: { container_id: id } }, encoding);
        t.equal(after.status, 404, 'WAIT after REMOVE is 404');
      }
    });

    await t.test('non-TTY cat of 10 MB random bytes comes back exactly, with EOF', async (t) => {
      const id = sessionId(task);
      const s = await open(id, { value: 'cat' });
      const input = fx.client.openInput(id, encoding);
      const payload = randomBytes(10 * 1024 * 1024);
      const out = collect(s.records);
      for (let off = 0; off < payload.length; off += 64 * 1024) await input.send(stdinRecord(payload.subarray(off, off + 64 * 1024)));
      await input.send(stdinRecord(Buffer.alloc(0)));
      input.end();
      const result = await out;
      t.equal(result.stdout.length, payload.length);
      t.ok(result.stdout.equals(payload), 'bytes identical');
      t.equal(result.emptyData, 0);
      t.equal((await input.response).status, 200);
      t.equal(await fx.client.wait(id, 'WAIT_CONTAINER', encoding), 0, 'cat saw EOF and exited 0');
      const audit = fx.logs.find((l) => l.audit === true && l.msg === 'session ended' && (l.container as string).endsWith(id.value));
      t.match(audit, { event: 'session', principal: 'ops', task: 'web', command: 'cat', user: userInfo().username, tty: false, exit_status: 0, bytes_in: payload.length, bytes_out: payload.length }, 'audit line with principal, command, status and byte counts');
      t.ok(audit && typeof audit.start === 'string' && typeof audit.end === 'string', 'audit has start and end');
    });

    await t.test('command.user runs the session as that user, with a "users" grant only', async (t) => {
      if (!requireRoot(t, 'command.user')) return;
      const granted = await startFixture(t, { acl: parseAcl({ principals: { ops: { calls: ['*'], tasks: ['*'], users: ['nob?dy', 'no-such-*'] } } }, 'test acl') });
      const web = granted.task('web', 'sleep 1000');
      chmodSync(granted.sandbox, 0o755);
      const s = await granted.client.openOutput(launchCall(sessionId(web), { value: 'id -un; echo "$USER $HOME"; pwd', user: 'nobody' }), { encoding });
      if (!isOutputStream(s)) throw new Error(`launch answered ${s.status}: ${s.body}`);
      const out = await collect(s.records);
      t.equal(out.stdout.toString(), `nobody\nnobody /nonexistent\n${granted.sandbox}\n`);
      t.match(granted.logs.find((l) => l.audit === true && l.msg === 'session ended'), { user: 'nobody', exit_status: 0 }, 'audit records the user');
      const unknown = await granted.client.openOutput(launchCall(sessionId(web), { value: 'true', user: 'no-such-user-x' }), { encoding });
      t.equal(unknown.status, 400, 'a granted but unknown user -> 400');
      t.match(isOutputStream(unknown) ? '' : unknown.body.toString(), "Failed to launch: Failed to get user information for 'no-such-user-x'");

      // The shared fixture has no ACL file: no principal has a grant.
      const refused = await fx.client.openOutput(launchCall(sessionId(task), { value: 'id -un', user: 'nobody' }), { encoding });
      t.equal(refused.status, 403, 'command.user other than the task\'s, no ACL -> 403');
      t.equal(isOutputStream(refused) ? '' : refused.body.toString(), `Principal 'ops' may not run sessions as user 'nobody' (task 'web' runs as 'root'); that needs a "users" grant in the switchboard ACL`);
      t.match(fx.logs.find((l) => l.msg === 'session user not granted by the ACL'), { principal: 'ops', task_id: 'web', user: 'nobody', task_user: 'root' }, 'the refusal is logged');
      const own = await fx.client.openOutput(launchCall(sessionId(task), { value: 'id -un', user: 'root' }), { encoding });
      t.equal(isOutputStream(own) ? (await collect(own.records)).stdout.toString() : own.status, 'root\n', "the task's own user needs no grant");
    });

    await t.test('a command that cannot be found or executed: the session reports it and exits 127 / 126', async (t) => {
      writeFileSync(`${fx.sandbox}/plain.txt`, 'not a program\n', { mode: 0o644 });
      const cases: [string, mesos.CommandInfo, mesos.TTYInfo | undefined, 'stdout' | 'stderr', string, number][] = [
        ['not in PATH', { shell: false, value: 'no-such-binary-x', arguments: ['x'] }, undefined, 'stderr', "Failed to execute 'no-such-binary-x': No such file or directory (searched the PATH of the task)\n", 127 << 8],
        ['no such path', { shell: false, value: '/no/such/file', arguments: ['f'] }, undefined, 'stderr', "Failed to execute '/no/such/file': No such file or directory\n", 127 << 8],
        ['not executable', { shell: false, value: './plain.txt', arguments: ['p'] }, undefined, 'stderr', "Failed to execute './plain.txt': Permission denied\n", 126 << 8],
        ['a directory, with a TTY', { shell: false, value: '/tmp', arguments: ['t'] }, {}, 'stdout', "Failed to execute '/tmp': Is a directory\r\n", 126 << 8],
      ];
      for (const [what, command, tty, stream, message, status] of cases) {
        const id = sessionId(task);
        const s = await open(id, command, tty);
        const out = await collect(s.records);
        t.equal(out[stream].toString(), message, `${what}: the message on ${stream}`);
        t.equal(await fx.client.wait(id, 'WAIT_CONTAINER', encoding), status, `${what}: wait status ${status} (exit ${status >> 8})`);
      }
    });

    await t.test('a task environment without HOME gets the user\'s home, as docker exec does', async (t) => {
      const saved = task.environment.HOME;
      delete task.environment.HOME;
      t.teardown(() => {
        if (saved !== undefined) task.environment.HOME = saved;
      });
      const s = await open(sessionId(task), { value: 'echo "$HOME"' });
      t.equal((await collect(s.records)).stdout.toString(), `${userInfo().homedir}\n`);
    });

    await t.test('stderr stays separate without a TTY', async (t) => {
      const id = sessionId(task);
      const s = await open(id, { value: 'echo out; echo err >&2; echo out2' });
      const out = await collect(s.records);
      t.equal(out.stdout.toString(), 'out\nout2\n');
      t.equal(out.stderr.toString(), 'err\n');
    });

    await t.test('dropping the connection kills the whole process group', async (t) => {
      const id = sessionId(task);
      const s = await open(id, { value: 'echo $$; sleep 1000 & echo $!; wait' });
      let pids: number[] = [];
      for await (const io of s.records) {
        if (io.type !== 'DATA') continue;
        pids = pids.concat(io.data!.data!.toString().trim().split(/\s+/).map(Number));
        if (pids.length >= 2) break;
      }
      t.equal(pids.length, 2);
      t.notOk(processGone(pids[0]!) || processGone(pids[1]!), 'both running before the drop');
      s.destroy();
      t.equal(await fx.client.wait(id, 'WAIT_CONTAINER', encoding), 9, 'main process SIGKILLed');
      await until(() => pids.every(processGone), 'the backgrounded sleep to die');
      t.pass('no process of the session is left');
    });

    await t.test('a session id with characters Mesos allows beyond [A-Za-z0-9_-] runs', async (t) => {
      const id = { value: `odd:${encoding.length}@x+y~`, parent: task.containerId };
      const out = await collect((await open(id, { value: 'echo fine' })).records);
      t.equal(out.stdout.toString(), 'fine\n');
      t.equal(await fx.client.wait(id, 'WAIT_CONTAINER', encoding), 0);
    });

    await t.test('a session id that exists answers 202 without a stream', async (t) => {
      const id = sessionId(task);
      const s = await open(id, { value: 'exit 0' });
      await collect(s.records);
      const again = await fx.client.openOutput(launchCall(id, { value: 'exit 0' }), { encoding });
      t.equal(again.status, 202);
      t.notOk(isOutputStream(again));
    });

    await t.test('KILL_NESTED_CONTAINER signals the session', async (t) => {
      const id = sessionId(task);
      const s = await open(id, { value: 'echo ready; exec sleep 1000' });
      const out = collect(s.records, () => {});
      const killed = await fx.client.call({ type: 'KILL_NESTED_CONTAINER', kill_nested_container: { container_id: id, signal: 15 } }, encoding);
      t.equal(killed.status, 200);
      await out;
      t.equal(await fx.client.wait(id, 'WAIT_CONTAINER', encoding), 15);
      const again = await fx.client.call({ type: 'KILL_CONTAINER', kill_container: { container_id: id } }, encoding);
      t.equal(again.status, 404);
      t.equal(again.body.toString(), `Container '${fx.registry.executorContainerId().value}.web-cid.${id.value}' cannot be found (or is already killed)`);
    });
  });
}

t.test('heartbeats on the injected clock', async (t) => {
  const clock = new ManualClock();
  const fx = await startFixture(t, { clock, heartbeatIntervalMs: 30_000 });
  const task = fx.task('hb', 'sleep 1000');
  const id = sessionId(task);
  const s = await fx.client.openOutput(launchCall(id, { value: 'read line; echo got "$line"' }), { encoding: 'application/x-protobuf' });
  if (!isOutputStream(s)) throw new Error('launch failed');
  const it = s.records[Symbol.asyncIterator]();
  clock.advance(29_999);
  clock.advance(1);
  const first = await it.next();
  t.same(first.value, { type: 'CONTROL', control: { type: 'HEARTBEAT', heartbeat: { interval: { nanoseconds: 30_000_000_000n } } } });
  clock.advance(30_000);
  t.equal((await it.next()).value?.control?.type, 'HEARTBEAT', 'one per interval');
  const input = fx.client.openInput(id, 'application/x-protobuf');
  await input.send(stdinRecord('x\n'));
  const data = await it.next();
  t.equal(data.value?.data?.data?.toString(), 'got x\n');
  t.ok((await it.next()).done);
  input.end();
  await input.response;
});

t.test('a process that left the group cannot hold the session open past the drain limit', async (t) => {
  const clock = new ManualClock();
  const fx = await startFixture(t, { clock, heartbeatIntervalMs: 3_600_000 });
  const task = fx.task('esc', 'sleep 1000');
  const id = sessionId(task);
  const s = await fx.client.openOutput(launchCall(id, { value: `setsid sh -c 'echo escaped=$$; exec sleep 1000' & read go` }), { encoding: 'application/json' });
  if (!isOutputStream(s)) throw new Error('launch failed');
  let escaped = 0;
  t.teardown(() => {
    if (escaped) process.kill(escaped, 'SIGKILL');
  });
  const input = fx.client.openInput(id);
  const out = collect(s.records, (text) => {
    const m = /escaped=(\d+)/.exec(text);
    if (m && !escaped) {
      escaped = Number(m[1]);
      void input.send(stdinRecord('go\n'));
    }
  });
  // The main process exits; the escaped sleep still holds stdout open.
  await until(() => fx.logs.some((l) => l.msg === 'session main process exited'), 'the main process to exit');
  let ended = false;
  void out.then(() => (ended = true));
  clock.advance(4_999);
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  t.notOk(ended, 'still open just before the limit');
  t.notOk(fx.logs.some((l) => /still open after its process group was killed/.test(l.msg)), 'no warning yet');
  clock.advance(1);
  await out;
  t.pass('the stream ended once the drain limit passed');
  t.equal(await fx.client.wait(id), 0, 'main process status');
  t.ok(fx.logs.some((l) => l.level === 40 && /still open after its process group was killed/.test(l.msg)), 'logged as a warning');
  input.end();
});
