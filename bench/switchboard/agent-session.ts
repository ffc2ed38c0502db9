// How the benchmark opens exec sessions through the agent API, as `mesos-sidecar exec` does
// (LAUNCH_NESTED_CONTAINER_SESSION, then ATTACH_CONTAINER_INPUT for a TTY).
import type { agent } from '../../proto/codec.js';
import { isOutputStream, stdinRecord, type OutputStreamHandle, type SwitchboardClient } from '../../switchboard/client.js';
import type { OpenKeystrokeSession } from './keystrokes.js';

let counter = 0;
export const sessionCall = (command: string, tty: boolean): { call: agent.Call; id: { value: string; parent: { value: string; parent: { value: string } } } } => {
  const id = { value: `bench-${process.pid}-${++counter}`, parent: { value: 'bench-task', parent: { value: 'bench-executor' } } };
  return {
    id,
    call: { type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: id, command: { value: command }, ...(tty ? { container: { type: 'MESOS', tty_info: { window_size: { rows: 24, columns: 80 } } } } : {}) } },
  };
};

export async function openSession(client: SwitchboardClient, call: agent.Call): Promise<OutputStreamHandle> {
  const s = await client.openOutput(call, { encoding: 'application/x-protobuf' });
  if (!isOutputStream(s)) throw new Error(`session launch answered ${s.status}: ${s.body}`);
  return s;
}

/** A TTY session through the agent API (LAUNCH_NESTED_CONTAINER_SESSION + ATTACH_CONTAINER_INPUT), as `exec -it` opens it. */
export const agentApiSession = (client: SwitchboardClient): OpenKeystrokeSession => async () => {
  const { call, id } = sessionCall('exec cat > /dev/null', true);
  const s = await openSession(client, call);
  const input = client.openInput(id, 'application/x-protobuf');
  const listeners: ((t: string) => void)[] = [];
  const reading = (async () => {
    for await (const io of s.records) if (io.type === 'DATA') for (const l of listeners) l(io.data!.data!.toString('latin1'));
  })();
  return {
    send: (k) => void input.send(stdinRecord(k)),
    onOutput: (l) => void listeners.push(l),
    close: async () => {
      s.destroy();
      input.destroy();
      await reading.catch(() => {});
    },
  };
};
