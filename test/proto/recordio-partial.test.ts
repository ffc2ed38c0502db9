// Records that precede a framing error in the same chunk are delivered (an ACKNOWLEDGED
// must not be lost because garbage follows it); the failure then sticks.
import t from 'tap';
import { Readable } from 'node:stream';
import { RecordIODecoder, readRecords } from '../../proto/recordio.js';

t.test('decode hands out the good records before a bad length line, then fails', async (t) => {
  const d = new RecordIODecoder();
  t.same(d.decode(Buffer.from('2\nok12x\n')).map(String), ['ok']);
  t.equal(d.error?.code, 'E_RECORDIO_LENGTH');
  t.throws(() => d.decode(Buffer.from('1\na')), { code: 'E_RECORDIO_LENGTH' });
});

t.test('readRecords yields them and then throws without waiting for more input', async (t) => {
  const seen: string[] = [];
  // A source that never ends after the bad chunk: the error must surface anyway.
  const source = new Readable({ read() {} });
  source.push(Buffer.from('2\nok99999999999999999\n'));
  await t.rejects(
    (async () => {
      for await (const r of readRecords(source, { maxRecordSize: 1024 })) seen.push(String(r));
    })(),
    { code: 'E_RECORDIO_TOO_LARGE' },
  );
  t.same(seen, ['ok']);
  source.destroy();
});
