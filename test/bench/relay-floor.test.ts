// The transport floor of bench/switchboard: built with cc, it relays exactly the bytes
// asked in HTTP chunks and reports its own CPU; without a compiler it is a named refusal.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { RelayFloor } from '../../bench/switchboard/relay-floor.js';

const floor = await RelayFloor.build();
t.teardown(() => floor.dispose());

t.test('one connection: the command’s bytes in HTTP/1.1 chunks, the last chunk, then its CPU as JSON', async (t) => {
  const size = 3 * 1024 * 1024 + 17;
  const relay = spawn(floor.binary, [String(size)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(relay, 'exit');
  const lines = createInterface({ input: relay.stdout! })[Symbol.asyncIterator]();
  const port = Number((await lines.next()).value);
  const chunks: Buffer[] = [];
  for await (const c of net.connect(port, '127.0.0.1')) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  // Undo the framing: size line, data, CRLF, until the 0-chunk.
  let at = 0;
  let payload = 0;
  let badChunks = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    const n = parseInt(body.subarray(at, eol).toString('latin1'), 16);
    at = eol + 2;
    if (n === 0) break;
    if (!body.subarray(at, at + n).every((b) => b === 0) || body.subarray(at + n, at + n + 2).toString('latin1') !== '\r\n') badChunks++;
    payload += n;
    at += n + 2;
  }
  t.equal(badChunks, 0, 'every chunk is /dev/zero followed by CRLF');
  t.equal(payload, size, 'every byte asked, no more');
  t.equal(body.subarray(at).toString('latin1'), '\r\n', 'nothing after the last chunk');
  const cpu = JSON.parse((await lines.next()).value as string) as { cpu_seconds: number };
  t.type(cpu.cpu_seconds, 'number');
  t.same(await exited, [0, null]);
});

t.test('run(): read by a reader process of its own, at least the bytes asked', async (t) => {
  const r = await floor.run(1024 * 1024);
  t.equal(r.bytes, 1024 * 1024);
  t.ok(r.seconds > 0 && r.relayCpuSeconds >= 0 && r.readerCpuSeconds > 0, JSON.stringify(r));
});

t.test('without cc: RelayFloorUnavailable names what is missing', async (t) => {
  await t.rejects(RelayFloor.build({ ...process.env, PATH: '/nonexistent' }), { name: 'RelayFloorUnavailable', message: /no C compiler \(cc\): the relay floor of bench\/switchboard needs Debian's gcc/ });
});
