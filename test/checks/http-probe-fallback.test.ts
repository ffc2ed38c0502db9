// Every HTTP probe test again, on the node:net path the probe takes where libuv's handles
// are not available to it (raw-tcp.ts): both transports must answer alike.
import t from 'tap';
import { rawTcpAvailable, useRawTcpForTests } from '../../checks/raw-tcp.js';

useRawTcpForTests('off');
await import('./http-probe.test.js');
t.test('the tests above ran on the node:net path', async (t) => t.notOk(rawTcpAvailable()));
