// Every HTTP probe test again on libuv's handles (raw-tcp.ts), the path where the native
// prober was not built: it must answer as the native one does.
import t from 'tap';
import { rawTcpAvailable } from '../../checks/raw-tcp.js';
import { nativeProberAvailable, useNativeProberForTests } from '../../checks/native-prober.js';

useNativeProberForTests('off');
await import('./http-probe.test.js');
t.test('the tests above ran on libuv handles', async (t) => t.ok(rawTcpAvailable() && !nativeProberAvailable()));
