// Keystroke round trip: one key to its echo by a terminal's line discipline, over any
// transport that can send a key and report output (a local PTY, an HTTP session, the
// WebSocket gateway), so that they are measured the same way.

export interface KeystrokeTransport {
  send(key: string): void;
  onOutput(listener: (text: string) => void): void;
  close?(): Promise<void>;
}

/** Keys per session (after the warm-up). */
export const KEYSTROKES = 1000;
const WARM_UP = 50;

/** Round trips of `count` keys (after a warm-up), in ms; each key waits for its own echo. */
export async function keystrokes(transport: KeystrokeTransport, count: number): Promise<number[]> {
  const samples: number[] = [];
  let waiting: ((t: string) => void) | undefined;
  transport.onOutput((text) => waiting?.(text));
  const roundTrip = (key: string, echo: string): Promise<void> =>
    new Promise<void>((resolve) => {
      let seen = '';
      waiting = (text) => {
        seen += text;
        if (seen.includes(echo)) resolve();
      };
      transport.send(key);
    });
  for (let i = 0; i < count + WARM_UP; i++) {
    const key = String.fromCharCode(97 + (i % 26));
    const started = process.hrtime.bigint();
    await roundTrip(key, key);
    if (i >= WARM_UP) samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    // A newline now and then keeps the canonical-mode line buffer from filling up; its
    // round trip is not part of the key's sample.
    if (i % 50 === 49) await roundTrip('\r', '\n');
  }
  waiting = undefined;
  return samples;
}

/**
 * A TTY session running `cat` for the keystroke measurement: how it is opened and what
 * carries the bytes (the agent API here, a WebSocket in ws-keystroke.ts) is the opener's business.
 */
export type KeystrokeSession = Required<KeystrokeTransport>;
export type OpenKeystrokeSession = () => Promise<KeystrokeSession>;

/** Round trips (ms) of one keystroke to its echo by the line discipline of the session's PTY. */
export async function keystrokeLatency(openSession: OpenKeystrokeSession, count = KEYSTROKES): Promise<number[]> {
  const session = await openSession();
  try {
    return await keystrokes(session, count);
  } finally {
    await session.close();
  }
}
