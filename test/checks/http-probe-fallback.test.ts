// Every HTTP probe test again, on the node:net path the probe takes where neither the
// native prober (native-prober.ts) nor libuv's handles (raw-tcp.ts) are available to it:
// every transport must answer alike.
import t from 'tap';
import { rawTcpAvailable, useRawTcpForTests } from '../../checks/raw-tcp.js';
import { nativeProberAvailable, useNativeProberForTests } from '../../checks/native-prober.js';

useNativeProberForTests('off');
useRawTcpForTests('off');
await import('./http-probe.test.js');
t.test('the tests above ran on the node:net path', async (t) => t.notOk(rawTcpAvailable() || nativeProberAvailable()));
