// Http1ResponseReader: the same head and body whatever the split of the bytes, the body's
// slices taken from the input (no copy), and every bound a peer could push against refused
// with a typed error that names it.
import t from 'tap';
import { Http1ResponseReader, MAX_CHUNK_LINE_BYTES, MAX_HEAD_BYTES, type ResponseHead } from '../../common/http1-response.js';

interface Read {
  head?: ResponseHead;
  body: string;
  ended: boolean;
}

function reader(): { r: Http1ResponseReader; got: Read; slices: Buffer[] } {
  const got: Read = { body: '', ended: false };
  const slices: Buffer[] = [];
  const r = new Http1ResponseReader({
    head: (h) => (got.head = h),
    body: (s) => {
      slices.push(s);
      got.body += s.toString('latin1');
    },
    end: () => (got.ended = true),
  });
  return { r, got, slices };
}

/** Feeds `bytes` in pieces of `size`, then the connection's end if `close`. */
function read(bytes: string, size: number, close: boolean): Read {
  const { r, got } = reader();
  const buf = Buffer.from(bytes, 'latin1');
  for (let i = 0; i < buf.length; i += size) r.push(buf.subarray(i, i + size));
  if (close) r.finish();
  return got;
}

const cases: { name: string; bytes: string; close?: boolean; status: number; headers?: Record<string, unknown>; body: string }[] = [
  { name: 'Content-Length', bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nX-A: 2\r\n\r\nhello', status: 200, headers: { 'content-length': '5', 'x-a': '1, 2' }, body: 'hello' },
  { name: 'chunked with extensions and trailers', bytes: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\nA \r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n', status: 200, body: 'hello0123456789' },
  { name: 'until the connection closes', bytes: 'HTTP/1.0 200 OK\r\n\r\nall of it', close: true, status: 200, body: 'all of it' },
  { name: '204 has no body', bytes: 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n', status: 204, body: '' },
  { name: 'Content-Length: 0', bytes: 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', status: 404, body: '' },
  { name: 'an interim 100 is skipped', bytes: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', status: 200, body: 'ok' },
  { name: 'Transfer-Encoding wins over Content-Length', bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n', status: 200, body: 'ok' },
  { name: 'set-cookie stays a list', bytes: 'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n', status: 200, headers: { 'set-cookie': ['a=1', 'b=2'] }, body: '' },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    for (const size of [1, 2, 3, 5, 17, 1 << 20]) {
      const got = read(c.bytes, size, c.close ?? false);
      t.equal(got.head?.status, c.status, `status, pieces of ${size}`);
      if (c.headers) t.match(got.head?.headers, c.headers, `headers, pieces of ${size}`);
      t.equal(got.body, c.body, `body, pieces of ${size}`);
      t.ok(got.ended, `complete, pieces of ${size}`);
    }
  });
}

t.test('body slices are views of the pushed buffer', async (t) => {
  const { r, slices } = reader();
  const buf = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
  r.push(buf);
  t.equal(slices.length, 1);
  t.equal(slices[0]!.buffer, buf.buffer, 'same memory');
  t.ok(r.complete);
  r.push(Buffer.from('whatever follows'));
  t.ok(r.complete, 'bytes after the end are ignored: the connection is not reused');
});

const refusals: { input: string; close?: boolean; code: string; message: RegExp }[] = [
  { input: 'HTTP/2 200\r\n\r\n', code: 'E_HTTP_HEAD', message: /not an HTTP\/1.1 status line/ },
  { input: 'HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n', code: 'E_HTTP_HEAD', message: /malformed header line/ },
  { input: 'HTTP/1.1 200 OK\r\nX: 1\r\n folded\r\n\r\n', code: 'E_HTTP_HEAD', message: /malformed header line/ },
  { input: 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', code: 'E_HTTP_HEAD', message: /bad Content-Length/ },
  { input: 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', code: 'E_HTTP_HEAD', message: /bad Content-Length/ },
  { input: 'HTTP/1.1 101 Switching Protocols\r\n\r\n', code: 'E_HTTP_HEAD', message: /101/ },
  { input: `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`, code: 'E_HTTP_HEAD', message: /head exceeds 16384 bytes/ },
  { input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', code: 'E_HTTP_FRAMING', message: /bad chunk-size line/ },
  { input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000\r\n', code: 'E_HTTP_FRAMING', message: /bad chunk-size line/ },
  { input: `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;${'e'.repeat(MAX_CHUNK_LINE_BYTES)}`, code: 'E_HTTP_FRAMING', message: /chunk-size line exceeds 1024 bytes/ },
  { input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\n', code: 'E_HTTP_FRAMING', message: /not ended by CRLF/ },
  { input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab', code: 'E_HTTP_FRAMING', message: /not followed by CRLF/ },
  { input: `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n${'X: y\r\n'.repeat(MAX_HEAD_BYTES / 6 + 1)}`, code: 'E_HTTP_FRAMING', message: /trailer section exceeds/ },
  { input: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc', close: true, code: 'E_HTTP_TRUNCATED', message: /closed inside the response body/ },
  { input: 'HTTP/1.1 200 OK\r\nContent-Le', close: true, code: 'E_HTTP_TRUNCATED', message: /closed inside the response head/ },
];

for (const c of refusals) {
  t.test(`refused: ${JSON.stringify(c.input.slice(0, 60))}`, async (t) => {
    for (const size of [1, 7, 1 << 20]) {
      const { r } = reader();
      const buf = Buffer.from(c.input, 'latin1');
      let error: unknown;
      try {
        for (let i = 0; i < buf.length; i += size) r.push(buf.subarray(i, i + size));
        if (c.close) r.finish();
      } catch (err) {
        error = err;
      }
      t.match(error, { code: c.code, message: c.message }, `pieces of ${size}`);
      t.throws(() => r.push(Buffer.from('x')), { code: c.code }, 'and stays failed');
    }
  });
}
