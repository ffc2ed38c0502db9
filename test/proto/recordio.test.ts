import t from 'tap';
import { RecordIODecoder, RecordIOFailure, encodeRecord, readRecords } from '../../proto/recordio.js';
import { RecordIOError } from '../../common/errors.js';
import { Readable } from 'node:stream';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

t.test('frames split across chunks and packed in one chunk (spec example 2.4)', async (t) => {
  const d = new RecordIODecoder();
  t.same(d.decode(hex('31')), []);
  t.same(d.decode(hex('31 0a 08 01 12')), []);
  const out = d.decode(hex('07 08 02 12 03 68 69 0a 32 0a 08 09'));
  t.same(out.map((b) => b.toString('hex')), ['080112070802120368690a', '0809']);
  d.finish();
});

t.test('encoder counts bytes, not characters', async (t) => {
  const payload = Buffer.from('{"type":"ERROR","error":{"message":"café"}}');
  t.equal(encodeRecord(payload).toString('utf8'), `44\n${payload.toString()}`);
  t.equal(encodeRecord(hex('0809')).toString('hex'), '320a0809');
});

t.test('empty records and leading zeros are accepted', async (t) => {
  const d = new RecordIODecoder();
  t.same(d.decode(Buffer.from('0\n002\nhi')).map(String), ['', 'hi']);
});

t.test('bad length lines are typed framing errors and the decoder stays failed', async (t) => {
  for (const bad of ['+5\nhello', '-1\n', ' 5\nhello', '5\r\nhello', '\n', '0x5\nhello', '123456789012345678901\n']) {
    const d = new RecordIODecoder();
    t.throws(() => d.decode(Buffer.from(bad)), { code: 'E_RECORDIO_LENGTH' }, JSON.stringify(bad));
    t.throws(() => d.decode(Buffer.from('1\na')), { code: 'E_RECORDIO_LENGTH' }, 'sticky failure');
  }
});

t.test('a record over the limit fails as soon as its header is read', async (t) => {
  const d = new RecordIODecoder({ maxRecordSize: 10 });
  t.throws(() => d.decode(Buffer.from('11\n')), { code: 'E_RECORDIO_TOO_LARGE' });
  const ok = new RecordIODecoder({ maxRecordSize: 10 });
  t.same(ok.decode(Buffer.from('10\n0123456789')).map(String), ['0123456789']);
});

t.test('end of input inside a frame is reported as truncated', async (t) => {
  const d = new RecordIODecoder();
  d.decode(Buffer.from('5\nhel'));
  t.throws(() => d.finish(), { code: 'E_RECORDIO_TRUNCATED' });
  const h = new RecordIODecoder();
  h.decode(Buffer.from('1'));
  t.throws(() => h.finish(), { code: 'E_RECORDIO_TRUNCATED' });
});

t.test('readRecords iterates a byte stream split at every byte', async (t) => {
  const bytes = Buffer.concat([encodeRecord(Buffer.from('héllo')), encodeRecord(Buffer.alloc(0)), encodeRecord(Buffer.from('x'))]);
  const chunks = [...bytes].map((b) => Buffer.from([b]));
  const got: string[] = [];
  for await (const r of readRecords(Readable.from(chunks))) got.push(r.toString());
  t.same(got, ['héllo', '', 'x']);
});

t.test('RecordIOFailure, shared by RecordIODecoder and ProcessIOReader: the first framing error sticks', async (t) => {
  const failure = new RecordIOFailure();
  t.doesNotThrow(() => failure.throwIfFailed(), 'not failed yet');
  t.throws(() => failure.guard(() => { throw new Error('not framing'); }), /not framing/);
  t.equal(failure.error, undefined, 'an error that is not a RecordIOError does not break the stream');
  const first = new RecordIOError('E_RECORDIO_LENGTH', 'bad length');
  t.throws(() => failure.guard(() => { throw first; }));
  t.throws(() => failure.fail('E_RECORDIO_TRUNCATED', 'later'), first, 'a later failure rethrows the first');
  t.throws(() => failure.throwIfFailed(), first);
  t.equal(failure.error, first);
});
