// The client's ProcessIO reader against the codec: same bytes and messages whatever the
// chunking, DATA payloads passed on without reassembly, framing errors typed.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { codecs, type agent } from '../../proto/codec.js';
import { encodeRecord } from '../../proto/recordio.js';
import { ProcessIOReader, parseDataHead } from '../../switchboard/process-io-reader.js';

const PB = 'application/x-protobuf';
const JSON_T = 'application/json';

function stream(messages: agent.ProcessIO[], encoding: typeof PB | typeof JSON_T): Buffer {
  return Buffer.concat(messages.map((m) => encodeRecord(codecs.agent.ProcessIO.encode(m, encoding))));
}

/** Output bytes per stream and the control messages, in order. */
function summary(messages: agent.ProcessIO[]): { stdout: string; stderr: string; controls: string[]; sequence: string } {
  let stdout = '';
  let stderr = '';
  const controls: string[] = [];
  let sequence = '';
  for (const m of messages) {
    if (m.type === 'DATA') {
      const hex = m.data!.data!.toString('hex');
      if (m.data!.type === 'STDOUT') stdout += hex;
      else stderr += hex;
      // Consecutive DATA of one type may be split differently; the order of types may not change.
      const tag = m.data!.type === 'STDOUT' ? 'o' : 'e';
      if (!sequence.endsWith(tag)) sequence += tag;
    } else {
      controls.push(JSON.stringify(m, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
      sequence += 'c';
    }
  }
  return { stdout, stderr, controls, sequence };
}

const messages: agent.ProcessIO[] = [
  { type: 'DATA', data: { type: 'STDOUT', data: Buffer.from('hello\n') } },
  { type: 'CONTROL', control: { type: 'HEARTBEAT', heartbeat: { interval: { nanoseconds: 30_000_000_000n } } } },
  { type: 'DATA', data: { type: 'STDERR', data: randomBytes(127) } },
  { type: 'DATA', data: { type: 'STDOUT', data: randomBytes(128) } },
  { type: 'DATA', data: { type: 'STDOUT', data: randomBytes(70_000) } },
  { type: 'DATA', data: { type: 'STDERR', data: Buffer.from('x') } },
  { type: 'DATA', data: { type: 'STDOUT', data: randomBytes(300_000) } },
];

for (const encoding of [PB, JSON_T] as const) {
  t.test(`${encoding}: any chunking gives the codec's messages`, async (t) => {
    const bytes = stream(messages, encoding);
    const expected = summary(messages);
    const splits = [1, 2, 3, 7, 25, 26, 27, 1000, 65_536, bytes.length];
    for (const size of splits) {
      const reader = new ProcessIOReader(encoding, 1 << 20);
      const out: agent.ProcessIO[] = [];
      for (let i = 0; i < bytes.length; i += size) out.push(...reader.push(bytes.subarray(i, i + size)));
      reader.finish();
      t.same(summary(out), expected, `chunks of ${size} bytes`);
    }
  });
}

for (const encoding of [PB, JSON_T] as const) {
  t.test(`${encoding}: a pushed buffer read into again after the push loses nothing`, async (t) => {
    // As from a client's reused read buffers: what a push returns is used before the next
    // read overwrites the buffer; what the reader keeps across pushes must be its own.
    const bytes = stream(messages, encoding);
    for (const size of [1, 3, 25, 27, 1000, 65_536]) {
      const scratch = Buffer.alloc(size);
      const reader = new ProcessIOReader(encoding, 1 << 20);
      const out: agent.ProcessIO[] = [];
      for (let i = 0; i < bytes.length; i += size) {
        const n = bytes.copy(scratch, 0, i, i + size);
        for (const m of reader.push(scratch.subarray(0, n))) out.push(m.type === 'DATA' ? { ...m, data: { ...m.data, data: Buffer.from(m.data!.data!) } } : m);
        scratch.fill(0xee);
      }
      reader.finish();
      t.same(summary(out), summary(messages), `chunks of ${size} bytes, each overwritten after its push`);
    }
  });
}

t.test('protobuf DATA payloads are slices of the input, not copies', async (t) => {
  const bytes = stream([{ type: 'DATA', data: { type: 'STDOUT', data: Buffer.alloc(100_000, 1) } }], PB);
  const reader = new ProcessIOReader(PB, 1 << 20);
  const first = reader.push(bytes.subarray(0, 50_000));
  const second = reader.push(bytes.subarray(50_000));
  t.ok(first.length === 1 && first[0]!.data!.data!.buffer === bytes.buffer, 'first part shares the input buffer');
  t.ok(second.length === 1 && second[0]!.data!.data!.buffer === bytes.buffer, 'second part too');
});

t.test('parseDataHead accepts only the canonical DATA shape', async (t) => {
  const record = codecs.agent.ProcessIO.encodeBinary({ type: 'DATA', data: { type: 'STDOUT', data: Buffer.from('hi') } });
  t.same(parseDataHead(record, record.length), { type: 'STDOUT', payloadAt: record.length - 2 });
  const control = codecs.agent.ProcessIO.encodeBinary({ type: 'CONTROL', control: { type: 'HEARTBEAT', heartbeat: {} } });
  t.equal(parseDataHead(control, control.length), undefined, 'CONTROL goes to the codec');
  t.equal(parseDataHead(record, record.length + 1), undefined, 'lengths that do not add up go to the codec');
});

t.test('framing errors are typed and sticky', async (t) => {
  const bad = new ProcessIOReader(PB, 1024);
  t.throws(() => bad.push(Buffer.from('1x\n')), { code: 'E_RECORDIO_LENGTH' }, "non-digit 'x' in a length line");
  t.throws(() => bad.push(Buffer.from('1\n')), { code: 'E_RECORDIO_LENGTH' }, 'stays failed');
  t.throws(() => new ProcessIOReader(PB, 1024).push(Buffer.from('1025\n')), { code: 'E_RECORDIO_TOO_LARGE' }, 'record over the limit, before its payload arrives');
  const cut = new ProcessIOReader(PB, 1024);
  cut.push(Buffer.from('10\n0123'));
  t.throws(() => cut.finish(), { code: 'E_RECORDIO_TRUNCATED' }, 'stream ended inside a record');
  const empty = new ProcessIOReader(JSON_T, 1024);
  t.same(empty.push(Buffer.from('0\n')), [], 'an empty record is skipped');
  empty.finish();
});
