// Attach to a TTY task over a gateway socket: its terminal's output (after an optional
// tail of what it printed before), input and window size to it, and the task's end. The
// task is not the socket's: closing the socket only detaches, as an HTTP attach does.
import type { WebSocket } from 'ws';
import type { TaskView } from '../../contracts/task-view.js';
import type { AttachTarget } from '../attach-target.js';
import type { AuditRecord } from '../audit.js';
import type { SwitchboardState } from '../calls/context.js';
import type { ReaderSlot } from '../output-readers.js';
import { exitMessage } from './control.js';
import { TerminalSocket } from './terminal-socket.js';

export interface AttachGrant {
  principal: string;
  task: TaskView;
  terminal: AttachTarget;
  /** The output reader's place among the readers' bounds, taken before the upgrade. */
  slot: ReaderSlot;
  /** Bound to the socket once it exists (the budget may cut a reader off). */
  bindCutOff(cutOff: (reason: string) => void): void;
  tail?: number | undefined;
}

export function serveAttach(state: SwitchboardState, ws: WebSocket, grant: AttachGrant): TerminalSocket {
  const { terminal, task, slot } = grant;
  const logger = state.logger.child({ attach: 'websocket', container: terminal.containerText, task_id: terminal.taskId });
  terminal.inputAttached = true;
  const socket = new TerminalSocket({
    ws,
    clock: state.clock,
    heartbeatIntervalMs: state.heartbeatIntervalMs,
    logger,
    input: terminal,
    flow: { kind: 'cut-off', maxQueuedBytes: state.limits.maxQueuedBytes, slot },
  });
  grant.bindCutOff((reason) => socket.cutOff(reason));
  // Input and output are one socket here; the audit log gets both records, as for the
  // two HTTP calls, so a query for either finds the attach.
  const start = new Date(state.clock.now()).toISOString();
  const base = { principal: grant.principal, task: terminal.taskId, container: terminal.containerText, tty: true, transport: 'websocket' as const, start };
  const records: AuditRecord[] = [
    { event: 'attach-input', ...base },
    { event: 'attach-output', ...base, ...(grant.tail !== undefined ? { tail_bytes: grant.tail } : {}) },
  ];
  for (const r of records) state.audit.started(r);
  socket.send({ type: 'started', container_id: terminal.containerText, tty: true });
  // Replayed and subscribed in one turn: no byte is lost or repeated between the two.
  if (grant.tail) for (const { chunk } of terminal.recentOutput(Math.min(grant.tail, state.outputTailBytes))) socket.sendOutput(chunk);
  const offData = terminal.onOutput((_stream, chunk) => socket.sendOutput(chunk));
  const offEnd = terminal.onOutputEnd(() => {
    void task.exited.then(() => socket.finish(exitMessage(task.waitStatus)));
  });
  socket.onEnd((end) => {
    offData();
    offEnd();
    terminal.inputAttached = false;
    slot.release();
    const endAt = new Date(state.clock.now()).toISOString();
    state.audit.ended({ ...records[0]!, end: endAt, bytes_in: socket.bytesIn, outcome: end });
    state.audit.ended({ ...records[1]!, end: endAt, bytes_out: socket.bytesOut, outcome: end });
    logger.debug({ end }, 'gateway attach ended; the task keeps running');
  });
  return socket;
}
