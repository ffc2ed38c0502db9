// The client half shared by `exec` and `attach`, after the upstream CLI's TaskIO: output
// records to stdout/stderr, stdin and window sizes to an input stream, heartbeats, and
// the Ctrl-P Ctrl-Q detach sequence.
import type { mesos } from '../proto/codec.js';
import { heartbeatRecord, stdinRecord, ttyInfoRecord, type InputStreamHandle, type LeasedRecord, type SwitchboardClient } from '../switchboard/client.js';
import { UnexpectedAnswerError } from '../common/errors.js';
import type { LocalTerminal } from './terminal.js';

export const DETACH_SEQUENCE = Buffer.from([0x10, 0x11]);
// What a terminal's line discipline turns into end of file for a reader (VEOF, Ctrl-D):
// the only EOF a TTY session has, since an empty STDIN record is ignored there.
const TTY_EOF = Buffer.from([0x04]);
// The Mesos CLI speaks JSON; protobuf is as valid on this API and lets the client pass
// output payloads on without base64 or reassembly (switchboard/process-io-reader.ts).
export const WIRE_ENCODING = 'application/x-protobuf';
const HEARTBEAT_MS = 30_000;

/** Splits stdin chunks at the detach sequence, holding back a trailing Ctrl-P. */
export class DetachDetector {
  #pending: Buffer = Buffer.alloc(0);

  /** Returns the bytes to send, and whether the sequence was seen (then nothing is sent). */
  push(chunk: Buffer): { send: Buffer; detach: boolean } {
    const data = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = Buffer.alloc(0);
    if (data.includes(DETACH_SEQUENCE)) return { send: Buffer.alloc(0), detach: true };
    if (data[data.length - 1] === DETACH_SEQUENCE[0]) {
      this.#pending = data.subarray(data.length - 1);
      return { send: data.subarray(0, data.length - 1), detach: false };
    }
    return { send: data, detach: false };
  }
}

/**
 * Output records to stdout and stderr, without copying their bytes: each is kept until its
 * write is done (a pipe or terminal may queue it).
 */
export async function writeOutput(records: AsyncIterable<LeasedRecord>, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Promise<void> {
  for await (const { io, keep } of records) {
    if (io.type !== 'DATA') continue; // heartbeats and other control records
    const data = io.data?.data;
    if (!data || (io.data!.type !== 'STDOUT' && io.data!.type !== 'STDERR')) throw new Error(`unexpected output record: ${io.data?.type ?? 'no data'}`);
    const target = io.data!.type === 'STDOUT' ? stdout : stderr;
    const release = keep();
    if (!target.write(data, () => release())) await new Promise((r) => target.once('drain', r));
  }
}

export interface InputSession {
  /** Resolves when the user typed the detach sequence. */
  detached: Promise<void>;
  stop(): void;
}

/**
 * Attaches input as the upstream CLI does: a probe with only the CONTAINER_ID record
 * (a 500 is tolerated: the command may be gone already), then the long-lived stream.
 * Without `stdin` (exec without -i) the remote stdin is at EOF at once, as with `docker
 * exec` and `kubectl exec`: an empty STDIN record closes the pipe, or with a TTY a Ctrl-D
 * ends the terminal's (empty) first line; the stream then stays open only to carry window
 * sizes for a TTY.
 */
export async function attachInput(client: SwitchboardClient, containerId: mesos.ContainerID, terminal: LocalTerminal, options: { tty: boolean; stdin?: NodeJS.ReadableStream }): Promise<InputSession> {
  const probe = client.openInput(containerId, WIRE_ENCODING);
  probe.end();
  const answer = await probe.response;
  if (answer.status !== 200 && answer.status !== 500) throw new UnexpectedAnswerError('switchboard', answer.status, answer.body.toString(), 'ATTACH_CONTAINER_INPUT');
  // 500: the command is gone already (its output ends by itself); a stream would only be
  // refused the same way, and its answer could race the end of the output.
  if (answer.status === 500) return { detached: new Promise<never>(() => {}), stop: () => {} };

  const input: InputStreamHandle = client.openInput(containerId, WIRE_ENCODING);
  const cleanups: (() => void)[] = [];
  let stopped = false;
  let signalDetach!: () => void;
  const detached = new Promise<void>((resolve) => (signalDetach = resolve));

  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    for (const c of cleanups.splice(0)) c();
    input.end();
  };
  const finishInput = async (): Promise<void> => {
    await input.send(stdinRecord(Buffer.alloc(0)));
    stop();
  };

  if (options.tty) {
    // 0 x 0 first forces a redraw when the real size follows, as the Mesos CLI does.
    void input.send(ttyInfoRecord(0, 0));
    const size = terminal.size();
    void input.send(ttyInfoRecord(size.columns, size.rows));
    cleanups.push(terminal.onResize((s) => void input.send(ttyInfoRecord(s.columns, s.rows))));
  }
  void input.send(heartbeatRecord(HEARTBEAT_MS));
  const beat = setInterval(() => void input.send(heartbeatRecord(HEARTBEAT_MS)), HEARTBEAT_MS);
  cleanups.push(() => clearInterval(beat));

  const stdin = options.stdin;
  if (!stdin) {
    void (options.tty ? input.send(stdinRecord(TTY_EOF)) : finishInput());
    return { detached, stop };
  }
  const detector = options.tty ? new DetachDetector() : undefined;
  const onData = (chunk: Buffer) => {
    let send = chunk;
    if (detector) {
      const r = detector.push(chunk);
      if (r.detach) {
        void finishInput();
        signalDetach();
        return;
      }
      send = r.send;
    }
    if (send.length === 0) return;
    // Backpressure: stop reading the terminal until the record is on the wire.
    stdin.pause();
    void input.send(stdinRecord(send)).then(() => {
      if (!stopped) stdin.resume();
    });
  };
  const onEnd = () => void finishInput();
  stdin.on('data', onData);
  stdin.on('end', onEnd);
  stdin.resume();
  cleanups.push(() => {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.pause();
  });
  input.response.then((res) => {
    if (res.status !== 200 && !stopped) process.stderr.write(`mesos-sidecar: input stream answered ${res.status}: ${res.body.toString()}\n`);
  }, () => {});
  return { detached, stop };
}
