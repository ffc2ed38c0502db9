// Keystroke round trip through the WebSocket gateway against the same through the agent
// API's HTTP session, in the same run and against the same switchboard: blocks of keys
// alternate between the two so that load from elsewhere hits both alike.
import { WS_EXEC_PREFIX } from '../../contracts/ws-gateway.js';
import { openOk } from '../../test/helpers/ws-gateway.js';
import { summarize } from '../stats.js';
import { keystrokes, type KeystrokeTransport } from './keystrokes.js';

const BLOCKS = 4;
const KEYS_PER_BLOCK = 250;

async function gatewayTransport(url: string, token: string): Promise<KeystrokeTransport> {
  const s = await openOk(url, `${WS_EXEC_PREFIX}bench?tty=1&command=${encodeURIComponent('exec cat > /dev/null')}`, { token });
  await s.message('started');
  const listeners: ((t: string) => void)[] = [];
  s.ws.on('message', (data: Buffer, binary: boolean) => {
    if (binary) for (const l of listeners) l(data.toString('latin1'));
  });
  return {
    send: (k) => s.type(k),
    onOutput: (l) => listeners.push(l),
    close: async () => {
      s.ws.close();
      await s.closed;
    },
  };
}

/** `openHttpSession`: the HTTP session transport of index.ts, on the switchboard at `url`. */
export async function wsKeystroke(openHttpSession: () => Promise<KeystrokeTransport>, url: string, token: string): Promise<object> {
  const [http, ws] = [await openHttpSession(), await gatewayTransport(url, token)];
  const samples: { http: number[]; websocket: number[] } = { http: [], websocket: [] };
  try {
    for (let block = 0; block < BLOCKS; block++) {
      samples.websocket.push(...(await keystrokes(ws, KEYS_PER_BLOCK)));
      samples.http.push(...(await keystrokes(http, KEYS_PER_BLOCK)));
    }
  } finally {
    await Promise.all([http.close?.(), ws.close?.()]);
  }
  const [httpSummary, wsSummary] = [summarize(samples.http), summarize(samples.websocket)];
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  return {
    keystrokes: BLOCKS * KEYS_PER_BLOCK,
    httpSession: httpSummary,
    websocket: wsSummary,
    p50RatioToHttp: ratio(wsSummary.p50Ms, httpSummary.p50Ms),
    p99RatioToHttp: ratio(wsSummary.p99Ms, httpSummary.p99Ms),
    setup: `one TTY session each (cat > /dev/null) on the same switchboard process; ${BLOCKS} alternating blocks of ${KEYS_PER_BLOCK} keys; WebSocket: one binary frame per key, the echo in a binary frame; HTTP: an ATTACH_CONTAINER_INPUT record per key, the echo in the session's ProcessIO stream (protobuf)`,
  };
}
