// Attach to a task launched with a TTY: live output fan-out, one input writer, and a
// slow reader that is cut off without stalling the task or the other reader.
import t from 'tap';
import http from 'node:http';
import { codecs } from '../../proto/codec.js';
import { isOutputStream, stdinRecord, ttyInfoRecord } from '../../switchboard/client.js';
import { collect, ENCODINGS, startFixture, TOKEN, until } from './harness.js';

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: attach to a TTY task`, async (t) => {
    const fx = await startFixture(t);
    // Prints a prompt, then echoes each line back until it reads "quit".
    const task = fx.task('shell', 'echo started; while read line; do [ "$line" = quit ] && exit 4; echo "you said $line"; done', { tty: true });
    // The tap calls its listeners before the sink (the task's file) gets the bytes, as the
    // executor's does: wait on the file side.
    await until(() => Buffer.concat(task.output).toString().includes('started'), 'the task printed its prompt');

    const attach = await fx.client.openOutput({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: task.containerId } }, { encoding });
    if (!isOutputStream(attach)) throw new Error(`attach answered ${attach.status}`);
    const second = await fx.client.openOutput({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: task.containerId } }, { encoding });
    if (!isOutputStream(second)) throw new Error(`second attach answered ${second.status}`);

    // The CLI's probe: only the CONTAINER_ID record, then the real input stream.
    const probe = fx.client.openInput(task.containerId, encoding);
    probe.end();
    t.equal((await probe.response).status, 200, 'probe input answered 200');

    const input = fx.client.openInput(task.containerId, encoding);
    await input.send(ttyInfoRecord(0, 0));
    await input.send(ttyInfoRecord(100, 40));
    const conflict = fx.client.openInput(task.containerId, encoding);
    conflict.end();
    const c = await conflict.response;
    t.equal(c.status, 409);
    t.equal(c.body.toString(), 'Multiple input connections are not allowed');

    let sentQuit = false;
    const out = collect(attach.records, (text) => {
      if (!sentQuit && text.includes('you said hello')) {
        sentQuit = true;
        void input.send(stdinRecord('quit\n'));
      }
    });
    const out2 = collect(second.records);
    await input.send(stdinRecord('hello\n'));
    const text = (await out).stdout.toString();
    t.notMatch(text, 'started', 'no replay of output from before the attach');
    t.match(text, 'hello\r\n', 'typed input is echoed by the task terminal');
    t.match(text, 'you said hello', 'the task answered the typed line');
    t.match((await out2).stdout.toString(), 'you said hello', 'the second reader sees the same live output');
    t.equal((await input.response).status, 200, 'input answered after the output drained');
    input.end();
    t.equal(task.waitStatus, 4 << 8);
    t.equal(await fx.client.wait(task.containerId, 'WAIT_CONTAINER', encoding), 1024, 'WAIT on the task container');
    t.ok(Buffer.concat(task.output).toString().includes('you said hello'), 'output still reaches the task (sandbox) side');

    const audits = fx.logs.filter((l) => l.audit === true);
    t.ok(audits.some((l) => l.event === 'attach-input' && l.msg === 'attach-input ended' && l.bytes_in === 11 && l.principal === 'ops'), 'input attach audited with bytes in');
    t.ok(audits.some((l) => l.event === 'attach-output' && l.msg === 'attach-output ended' && (l.bytes_out as number) > 0), 'output attach audited');
  });
}

t.test('attach to a task without a TTY, unknown containers', async (t) => {
  const fx = await startFixture(t);
  const task = fx.task('plain', 'sleep 1000');
  const noTty = await fx.client.openOutput({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: task.containerId } });
  t.equal(noTty.status, 500);
  t.equal(isOutputStream(noTty) ? '' : noTty.body.toString(), 'I/O switchboard server was disabled for this container');
  const unknownRoot = await fx.client.openOutput({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: { value: 'nope', parent: { value: 'other' } } } });
  t.equal(unknownRoot.status, 404);
  t.equal(isOutputStream(unknownRoot) ? '' : unknownRoot.body.toString(), 'Container other.nope cannot be found');
  const unknownNested = await fx.client.openOutput({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: { value: 'nope', parent: task.containerId.parent! } } });
  t.equal(unknownNested.status, 500);
  t.equal(isOutputStream(unknownNested) ? '' : unknownNested.body.toString(), 'Unknown container executor-cid.nope');
});

t.test('two readers, one slow: the slow one is cut off, the fast one and the task go on', async (t) => {
  const fx = await startFixture(t, { limits: { maxQueuedBytes: 64 * 1024 } });
  // Waits for a go line, then floods ~5 MB through the terminal and exits.
  const task = fx.task('flood', 'read go; head -c 4000000 /dev/zero | base64; echo done-flooding', { tty: true });
  const call = codecs.agent.Call.encode({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: task.containerId } }, 'application/x-protobuf');

  // The slow reader: a raw request whose response is never read.
  const slow = await new Promise<{ res: http.IncomingMessage; outcome: Promise<string> }>((resolve, reject) => {
    const req = http.request(`${fx.url}/api/v1`, {
      method: 'POST',
      agent: false,
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/x-protobuf', Accept: 'application/recordio', 'Message-Accept': 'application/x-protobuf' },
    });
    req.on('response', (res) => {
      res.pause();
      const outcome = new Promise<string>((done) => {
        res.on('aborted', () => done('aborted'));
        res.on('error', () => done('aborted'));
        res.on('end', () => done('ended normally'));
      });
      resolve({ res, outcome });
    });
    req.on('error', reject);
    req.end(call);
  });
  t.equal(slow.res.statusCode, 200);

  const fast = await fx.client.openOutput({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: task.containerId } }, { encoding: 'application/x-protobuf' });
  if (!isOutputStream(fast)) throw new Error('fast attach failed');
  const fastOut = collect(fast.records);
  task.tty!.write('go\n');
  await task.exited;
  t.equal(task.waitStatus, 0, 'the task ran to completion although one reader never read');
  const result = await fastOut;
  t.ok(result.stdout.length > 5_000_000, `fast reader got everything (${result.stdout.length} bytes)`);
  t.match(result.stdout.subarray(-32).toString(), /done-flooding\r\n$/, 'to the last line the task printed before its exit');
  t.ok(result.stdout.equals(Buffer.concat(task.output)), 'fast reader got exactly the task terminal output');
  // Now let the slow reader read: it finds its stream reset, not a normal end.
  slow.res.resume();
  t.equal(await slow.outcome, 'aborted', 'the slow reader was disconnected');
  t.ok(fx.logs.some((l) => l.msg === 'output reader fell too far behind; disconnecting it' && l.level === 40), 'the cut-off is logged as a warning');
});
