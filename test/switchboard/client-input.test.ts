// The client's ATTACH_CONTAINER_INPUT body under backpressure: sends made while the
// request is full share one wait for the drain, and a request that closes lets them go.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { stdinRecord, SwitchboardClient } from '../../switchboard/client.js';

/** A server that holds input bodies unread until told to read or to drop them. */
async function holdingServer(t: Test): Promise<{ url: string; request: Promise<http.IncomingMessage> }> {
  let got!: (req: http.IncomingMessage) => void;
  const request = new Promise<http.IncomingMessage>((resolve) => (got = resolve));
  const server = http.createServer((req) => {
    req.pause();
    got(req);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, request };
}

const chunk = Buffer.alloc(64 * 1024, 0x61);
const containerId = { value: 'c', parent: { value: 'p' } };

t.test('160 sends in flight against a body nobody reads wait on one drain listener, and all go once it is read', async (t) => {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const { url, request } = await holdingServer(t);
  const input = new SwitchboardClient({ url }).openInput(containerId, 'application/x-protobuf');
  // 10 MiB: far more than the socket buffers take while the server does not read.
  const sends = Array.from({ length: 160 }, () => input.send(stdinRecord(chunk)));
  const req = await request;
  let settled = 0;
  for (const s of sends) void s.then(() => settled++);
  await new Promise((r) => setImmediate(r));
  t.ok(settled < sends.length, `the body is full: ${settled} of ${sends.length} sends done while unread`);
  req.resume();
  await Promise.all(sends);
  t.equal(settled, sends.length, 'every send resolved once the server read');
  t.same(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message), [], 'no listener piled up per send');
  input.destroy();
});

t.test('sends waiting on a full body resolve when the request closes instead of draining', async (t) => {
  const { url, request } = await holdingServer(t);
  const input = new SwitchboardClient({ url }).openInput(containerId, 'application/x-protobuf');
  const sends = Array.from({ length: 160 }, () => input.send(stdinRecord(chunk)));
  await request;
  input.destroy();
  await Promise.all(sends);
  t.pass('all 160 sends resolved after the request was destroyed');
  await t.resolves(input.send(stdinRecord('late')), 'a send after the close resolves at once');
});
