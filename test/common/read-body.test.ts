// readBody: one bounded reader for whole HTTP bodies (switchboard server and client, agent
// emulator). Input: bodies around the limit; error: BodyTooLargeError naming the limit.
import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { BodyTooLargeError, readBody } from '../../common/read-body.js';
import { readFile } from '../../switchboard/files/client.js';
import { SwitchboardClient } from '../../switchboard/client.js';

t.test('a body up to the limit is read whole; one byte more is refused', async (t) => {
  const chunks = [Buffer.from('abc'), Buffer.from('de')];
  t.same(await readBody(Readable.from(chunks), 5), Buffer.from('abcde'), 'exactly the limit');
  t.same(await readBody(Readable.from([]), 0), Buffer.alloc(0), 'empty body');
  const err = await readBody(Readable.from(chunks), 4).catch((e: unknown) => e);
  t.ok(err instanceof BodyTooLargeError, '5 bytes over a limit of 4');
  t.match((err as Error).message, /limit of 4 bytes/);
});

t.test('the switchboard client (and the files client on it) bounds whole answers', async (t) => {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ data: 'x'.repeat(2000), offset: 0 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const big = new SwitchboardClient({ url });
  t.equal((await readFile(big, '/x', 0)).data.length, 2000, 'within the default bound');
  const small = new SwitchboardClient({ url, maxResponseBody: 1000 });
  await t.rejects(readFile(small, '/x', 0), BodyTooLargeError, 'a /files/read answer over 1000 bytes is refused, not buffered');
  await t.rejects(small.tasks(), BodyTooLargeError, 'GET /tasks too');
});

t.test('an output stream refused with a long body: the body is bounded too', async (t) => {
  const server = http.createServer((_req, res) => {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('x'.repeat(2000));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = { type: 'ATTACH_CONTAINER_OUTPUT' as const, attach_container_output: { container_id: { value: 'x' } } };
  const whole = await new SwitchboardClient({ url }).openOutput(call);
  t.match(whole, { status: 404, body: Buffer.from('x'.repeat(2000)) }, 'within the bound: the 404 and its body');
  await t.rejects(new SwitchboardClient({ url, maxResponseBody: 1000 }).openOutput(call), BodyTooLargeError, 'a 2000-byte 404 body over a bound of 1000 is refused');
});
