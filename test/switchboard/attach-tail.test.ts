// ATTACH_CONTAINER_OUTPUT with Mesos-Sidecar-Output-Tail, both encodings: a TTY task's (the
// product's tap) and a session's recent output come first, never more than the operator's
// bound, then the live stream; without the header nothing is replayed (Mesos' behaviour).
// And `mesos-sidecar attach --tail N` shows the prompt printed before it connected.
import t from 'tap';
import type { agent } from '../../proto/codec.js';
import { SWITCHBOARD_HEADERS } from '../../contracts/switchboard.js';
import { isOutputStream, stdinRecord, type OutputStreamHandle } from '../../switchboard/client.js';
import { runCli } from '../helpers/cli.js';
import { cliEnv, ENCODINGS, sessionId, sessionOpener, startFixture, until, type Fixture, type TestTask } from './harness.js';

const BOUND = 4096;
const TAIL = { [SWITCHBOARD_HEADERS.outputTail]: String(1024 * 1024) };
// 20 000 bytes of noise, then a prompt, then it waits for a line and echoes it.
const PROMPTING = `i=0; while [ $i -lt 400 ]; do echo "line $i ........................................"; i=$((i+1)); done; printf 'PROMPT> '; read line; echo "got $line"; read end`;

const attachCall = (task: TestTask): agent.Call => ({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: task.containerId } });

/** Reads records until `done(stdout, stderr)` holds; the stream stays open. */
async function readUntil(stream: OutputStreamHandle, done: (stdout: string, stderr: string) => boolean): Promise<{ stdout: string; stderr: string; order: string[] }> {
  let stdout = '';
  let stderr = '';
  const order: string[] = [];
  while (!done(stdout, stderr)) {
    const next = await stream.records.next();
    if (next.done) throw new Error(`stream ended before the expected output; stdout: ${stdout}; stderr: ${stderr}`);
    const io = next.value;
    if (io.type !== 'DATA' || !io.data?.data?.length) continue;
    const text = io.data.data.toString('latin1');
    order.push(`${io.data.type}:${text}`);
    if (io.data.type === 'STDOUT') stdout += text;
    else stderr += text;
  }
  return { stdout, stderr, order };
}

async function prompted(fx: Fixture): Promise<TestTask> {
  const task = fx.task('prompting', PROMPTING, { tty: true });
  await until(() => Buffer.concat(task.output).toString().includes('PROMPT> '), 'the task printed its prompt');
  return task;
}

/** Types `hi` into the task and reads `attach` up to its answer: the live part of the stream. */
async function answerHi(fx: Fixture, task: TestTask, attach: OutputStreamHandle, encoding: (typeof ENCODINGS)[number]): Promise<string> {
  const input = fx.client.openInput(task.containerId, encoding);
  await input.send(stdinRecord('hi\n'));
  const live = await readUntil(attach, (out) => out.includes('got hi'));
  input.end();
  return live.stdout;
}

for (const encoding of ENCODINGS) {
  t.test(`${encoding}: a TTY task: the prompt printed before the attach comes first, at most the bound, then live output`, async (t) => {
    const fx = await startFixture(t, { outputTailBytes: BOUND });
    const task = await prompted(fx);
    const attach = await fx.client.openOutput(attachCall(task), { encoding, headers: TAIL });
    if (!isOutputStream(attach)) throw new Error(`attach answered ${attach.status}: ${attach.body}`);
    const replay = await readUntil(attach, (out) => out.includes('PROMPT> '));
    t.ok(replay.stdout.endsWith('PROMPT> '), 'the replay ends with the prompt');
    t.ok(replay.stdout.length <= BOUND, `asked for 1 MiB, got ${replay.stdout.length} bytes: never more than the bound of ${BOUND}`);
    t.ok(replay.stdout.length > BOUND - 100, 'and the bound is what was kept');
    t.notMatch(await answerHi(fx, task, attach, encoding), 'PROMPT', 'the live stream follows without repeating the replay');
    attach.destroy();
    t.match(fx.logs.find((l) => l.msg === 'attach-output started'), { audit: true, tail_bytes: 1024 * 1024 }, 'the tail asked for is audited');
  });

  t.test(`${encoding}: without the header no replay (Mesos' behaviour); a bad value is a 400 naming the header`, async (t) => {
    const fx = await startFixture(t, { outputTailBytes: BOUND });
    const task = await prompted(fx);
    const plain = await fx.client.openOutput(attachCall(task), { encoding });
    if (!isOutputStream(plain)) throw new Error(`attach answered ${plain.status}`);
    t.notMatch(await answerHi(fx, task, plain, encoding), 'PROMPT', 'nothing from before the attach');
    plain.destroy();
    for (const bad of ['-1', 'lots', String(16 * 1024 * 1024 + 1)]) {
      const res = await fx.client.openOutput(attachCall(task), { encoding, headers: { [SWITCHBOARD_HEADERS.outputTail]: bad } });
      t.equal(res.status, 400, `tail '${bad}'`);
      if (!isOutputStream(res)) t.match(res.body.toString(), new RegExp(`^Mesos-Sidecar-Output-Tail: expected a number of bytes from 0 to 16777216, got '${bad}'`));
    }
  });

  t.test(`${encoding}: a session without a TTY: stdout and stderr replayed as they were printed`, async (t) => {
    const fx = await startFixture(t, { outputTailBytes: BOUND });
    const task = fx.task('parent', 'sleep 1000');
    const id = sessionId(task);
    const own = await sessionOpener(fx, encoding)(id, { shell: true, value: 'echo out-line; echo err-line >&2; read x; echo bye' });
    await readUntil(own, (out, err) => out.includes('out-line') && err.includes('err-line'));
    const attach = await fx.client.openOutput({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: id } }, { encoding, headers: { [SWITCHBOARD_HEADERS.outputTail]: '100' } });
    if (!isOutputStream(attach)) throw new Error(`attach answered ${attach.status}: ${attach.body}`);
    const replay = await readUntil(attach, (out, err) => out.includes('out-line') && err.includes('err-line'));
    t.same(replay.order, ['STDOUT:out-line\n', 'STDERR:err-line\n'], 'each stream as printed, in order');
    attach.destroy();
    own.destroy();
  });
}

t.test('mesos-sidecar attach --tail N shows the prompt printed before it connected', async (t) => {
  const fx = await startFixture(t, { outputTailBytes: BOUND });
  const task = await prompted(fx);
  const cli = runCli(['attach', '--no-stdin', '--tail', '20', task.taskId], cliEnv(fx));
  // Once the CLI's reader is there, end the task so that the CLI exits.
  await until(() => fx.logs.some((l) => l.msg === 'attach-output started' && l.tail_bytes === 20), 'the CLI attached');
  const input = fx.client.openInput(task.containerId);
  await input.send(stdinRecord('hi\n'));
  await until(() => Buffer.concat(task.output).toString().includes('got hi'), 'the task answered');
  await input.send(stdinRecord('end\n'));
  const run = await cli;
  input.end();
  t.equal(run.code, 0, `attach ends with the task's status: ${run.stderr}`);
  // The terminal turned each \n into \r\n: 20 bytes are ten dots, \r\n and the prompt.
  t.ok(run.stdout.startsWith('..........\r\nPROMPT> '), `the last 20 bytes came first: ${JSON.stringify(run.stdout.slice(0, 40))}`);
  t.match(run.stdout, 'got hi');
  const usage = await runCli(['attach', '--tail', 'many', task.taskId], cliEnv(fx));
  t.equal(usage.code, 2);
  t.match(usage.stderr, "--tail expects a number of bytes, got 'many'");
});
