// ATTACH_CONTAINER_INPUT: one input stream at a time per container (a conflict otherwise),
// stdin data, EOF and window sizes, answered once (attach-exec.md §4).
import type { Clock } from '../../common/clock.js';
import { RecordIOError } from '../../common/errors.js';
import { codecs, type MessageContentType } from '../../proto/codec.js';
import { parseInputRecord, type AgentCall, type InputRecord } from '../agent-call.js';
import { badRequest, conflict, internalError, payloadTooLarge, type SwitchboardHttpError } from '../errors.js';
import { attachTarget, authorize, type CallContext, type SwitchboardState } from './context.js';

/** The records after the first one, and their encoding (Message-Content-Type). */
export interface InputBody {
  records: AsyncIterator<Buffer>;
  encoding: MessageContentType;
}

export async function attachInput(state: SwitchboardState, ctx: CallContext, call: Extract<AgentCall, { type: 'attach-input' }>, body: InputBody): Promise<void> {
  if (call.first.kind !== 'container-id') throw badRequest("Expecting 'attach_container_input.type' to be CONTAINER_ID");
  const id = call.first.container;
  const resolved = state.containers.resolve(id);
  if (resolved.kind !== 'unknown-root') authorize(state, ctx, call.name, resolved);
  const target = attachTarget(state, id, resolved);
  if (target.inputAttached) throw conflict('Multiple input connections are not allowed');
  target.inputAttached = true;

  const logger = state.logger.child({ attach: 'input', container: target.containerText, task_id: target.taskId });
  const audit = { event: 'attach-input' as const, principal: ctx.principal, task: target.taskId, container: target.containerText, tty: target.tty, start: new Date(state.clock.now()).toISOString() };
  state.audit.started(audit);
  let bytesIn = 0;
  let answered = false;
  let graceTimer: ReturnType<Clock['setTimeout']> | undefined;

  // Exactly one answer per input stream; the slot frees when it is sent.
  const answer = (error?: SwitchboardHttpError): void => {
    if (answered) return;
    answered = true;
    state.clock.clearTimeout(graceTimer);
    offEnd();
    target.inputAttached = false;
    state.audit.ended({ ...audit, end: new Date(state.clock.now()).toISOString(), bytes_in: bytesIn, outcome: error ? `${error.status} ${error.body}` : 'ok' });
    if (ctx.res.headersSent || ctx.res.destroyed) return;
    const headers: Record<string, string | number> = { 'Content-Length': error ? Buffer.byteLength(error.body) : 0 };
    // Answered while the client may still be sending: this connection cannot be reused.
    if (!ctx.req.complete) headers.Connection = 'close';
    if (error) headers['Content-Type'] = 'text/plain; charset=utf-8';
    ctx.res.writeHead(error ? error.status : 200, headers);
    // With `Connection: close` Node closes the socket once this is flushed, which also
    // ends the record loop below if the client was still sending.
    ctx.res.end(error?.body);
  };
  const offEnd = target.onOutputEnd(() => {
    graceTimer = state.clock.setTimeout(() => answer(), state.inputGraceMs);
  });
  ctx.req.once('close', () => {
    if (!answered && !ctx.req.complete) {
      logger.debug('input connection closed by the client');
      answer();
    }
  });

  const { records, encoding } = body;
  try {
    for (;;) {
      const next = await records.next();
      if (next.done || answered) break;
      // Empty frames are ignored (recordio.md §4).
      if (next.value.length === 0) continue;
      let record: InputRecord;
      try {
        record = parseInputRecord(codecs.agent.Call.decode(next.value, encoding), target.tty);
      } catch (err) {
        // Undecodable, or an AgentCallError naming the field: the stream is refused.
        return answer(badRequest((err as Error).message));
      }
      if (record.kind === 'stdin') {
        if (record.data.length === 0) {
          target.closeStdin();
          continue;
        }
        bytesIn += record.data.length;
        try {
          await target.writeStdin(record.data);
        } catch (err) {
          return answer(internalError(`Failed writing to stdin: ${(err as Error).message}`));
        }
      } else if (record.kind === 'window-size') {
        target.resize(record.columns, record.rows);
        logger.debug({ columns: record.columns, rows: record.rows }, 'window size set');
      }
      // HEARTBEAT from the client: accepted, its interval ignored.
    }
  } catch (err) {
    if (err instanceof RecordIOError) {
      return answer(err.code === 'E_RECORDIO_TOO_LARGE' ? payloadTooLarge(err.message) : badRequest(err.message));
    }
    // The client went away mid-body: nothing to answer.
    logger.debug({ err }, 'input stream broke');
    return answer();
  }
  answer();
}
