// ATTACH_CONTAINER_OUTPUT: a live copy of a task terminal's or a session's output, one
// reader among several, each bounded (attach-exec.md §5).
import type { AgentCall } from '../agent-call.js';
import { ProcessIOStream } from '../process-io-stream.js';
import { outputTailRequest } from '../request-extensions.js';
import { attachTarget, authorize, type CallContext, type SwitchboardState } from './context.js';

export async function attachOutput(state: SwitchboardState, ctx: CallContext, call: Extract<AgentCall, { type: 'attach-output' }>): Promise<void> {
  const id = call.container;
  const resolved = state.containers.resolve(id);
  if (resolved.kind !== 'unknown-root') authorize(state, ctx, call.name, resolved);
  const target = attachTarget(state, id, resolved);
  const tail = outputTailRequest(ctx.req.headers);
  // Counted before the 200 goes out: a reader over the limits gets a 429 instead.
  let cutOff = (_reason: string): void => {};
  const slot = state.readers.admit(target.containerText, { cutOff: (reason) => cutOff(reason) });
  const logger = state.logger.child({ attach: 'output', container: target.containerText, task_id: target.taskId });
  const audit = { event: 'attach-output' as const, principal: ctx.principal, task: target.taskId, container: target.containerText, tty: target.tty, start: new Date(state.clock.now()).toISOString(), ...(tail !== undefined ? { tail_bytes: tail } : {}) };
  state.audit.started(audit);
  const stream = new ProcessIOStream(ctx.res, ctx.types, {
    clock: state.clock,
    heartbeatIntervalMs: state.heartbeatIntervalMs,
    maxQueuedBytes: state.limits.maxQueuedBytes,
    logger,
    slot,
  });
  cutOff = (reason) => stream.cutOff(reason);
  // Replayed and subscribed in one turn: no byte is lost or repeated between the two.
  if (tail) for (const { stream: s, chunk } of target.recentOutput(Math.min(tail, state.outputTailBytes))) stream.sendData(s, chunk);
  const offData = target.onOutput((s, chunk, lease) => stream.sendData(s, chunk, lease), { borrows: true });
  const offEnd = target.onOutputEnd(() => stream.end());
  await new Promise<void>((resolve) =>
    stream.onEnd((end) => {
      offData();
      offEnd();
      state.audit.ended({ ...audit, end: new Date(state.clock.now()).toISOString(), bytes_out: stream.bytesOut, outcome: end });
      resolve();
    }),
  );
}
