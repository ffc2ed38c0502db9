// TerminalSocket's decisions as steps on a ManualClock against a stand-in WebSocket (an
// EventEmitter with the methods ws has): the heartbeat's verdicts, when output is paused
// and resumed, the cut-off of an attach reader, and input applied one item at a time.
import t from 'tap';
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { ManualClock } from '../../common/clock.js';
import { createLogger } from '../../common/logger.js';
import { TerminalSocket, type OutputFlow, type SocketEnd } from '../../switchboard/ws/terminal-socket.js';

class FakeWs extends EventEmitter {
  bufferedAmount = 0;
  readonly sent: (Buffer | string)[] = [];
  readonly callbacks: ((err?: Error) => void)[] = [];
  pings = 0;
  paused = false;
  terminated = false;
  closedWith: [number, string | undefined] | undefined;
  send(data: Buffer | string, _options?: unknown, cb?: (err?: Error) => void): void {
    this.sent.push(data);
    if (typeof data !== 'string') this.bufferedAmount += data.length;
    if (cb) this.callbacks.push(cb);
  }
  /** The kernel took `n` bytes: the send callbacks of what fits run. */
  drain(n: number): void {
    this.bufferedAmount = Math.max(0, this.bufferedAmount - n);
    for (const cb of this.callbacks.splice(0)) cb();
  }
  ping(): void {
    this.pings++;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  terminate(): void {
    this.terminated = true;
    this.emit('close', 1006);
  }
  close(code: number, reason?: string): void {
    this.closedWith = [code, reason];
    this.emit('close', code);
  }
}

function setup(flow: OutputFlow | 'pause', input: Partial<{ writeStdin(d: Buffer): Promise<void>; closeStdin(): void; resize(c: number, r: number): void }> = {}) {
  const clock = new ManualClock();
  const ws = new FakeWs();
  const events: string[] = [];
  const resolvedFlow: OutputFlow = flow === 'pause' ? { kind: 'pause', pause: () => events.push('pause'), resume: () => events.push('resume'), maxBufferedBytes: 1000 } : flow;
  const socket = new TerminalSocket({
    ws: ws as unknown as WebSocket,
    clock,
    heartbeatIntervalMs: 100,
    logger: createLogger({ name: 'ts-test', level: 'silent' }),
    input: { writeStdin: async () => {}, closeStdin: () => {}, resize: () => {}, ...input },
    flow: resolvedFlow,
  });
  const ends: SocketEnd[] = [];
  socket.onEnd((e) => ends.push(e));
  return { clock, ws, socket, events, ends };
}

t.test('heartbeat: a ping each interval; a missed pong terminates; no verdict while input is paused', async (t) => {
  const { clock, ws, ends } = setup('pause');
  clock.advance(99);
  t.equal(ws.pings, 0, 'nothing before the interval');
  clock.advance(1);
  t.equal(ws.pings, 1, 'a ping at the interval');
  ws.emit('pong');
  clock.advance(100);
  t.equal(ws.pings, 2, 'answered: another ping');
  t.notOk(ws.terminated);
  clock.advance(100);
  t.ok(ws.terminated, 'the second ping unanswered after an interval: terminated');
  t.same(ends, ['heartbeat']);

  const slow = setup('pause', { writeStdin: () => new Promise<void>(() => {}) });
  slow.ws.emit('message', Buffer.from('x'), true);
  t.ok(slow.ws.paused, 'a pending stdin write pauses reading the socket');
  slow.clock.advance(100);
  slow.clock.advance(100);
  slow.clock.advance(100);
  t.notOk(slow.ws.terminated, 'pongs cannot be read while paused: no verdict');
  t.equal(slow.ws.pings, 3, 'still pinging');
});

t.test('exec flow: paused past the bound, resumed at half of it, resumed when the socket closes', async (t) => {
  const { ws, socket, events, ends } = setup('pause');
  socket.sendOutput(Buffer.alloc(600));
  t.same(events, [], '600 of 1000 queued: nothing');
  socket.sendOutput(Buffer.alloc(600));
  t.same(events, ['pause'], '1200 queued: paused');
  socket.sendOutput(Buffer.alloc(100));
  t.same(events, ['pause'], 'paused once');
  ws.drain(600);
  t.same(events, ['pause'], '700 left: above half, still paused');
  socket.sendOutput(Buffer.alloc(100));
  ws.drain(400);
  t.same(events, ['pause', 'resume'], '400 left: resumed');
  socket.sendOutput(Buffer.alloc(2000));
  t.same(events, ['pause', 'resume', 'pause']);
  ws.emit('close', 1005);
  t.same(events, ['pause', 'resume', 'pause', 'resume'], 'a closed socket never leaves the producer paused');
  t.same(ends, ['client-closed']);
  t.equal(socket.peakBufferedBytes, 2400, 'the largest queue seen');
});

t.test('attach flow: past maxQueuedBytes the reader is cut off with 1008, the budget told what is queued', async (t) => {
  const reserved: number[] = [];
  const { ws, socket, ends } = setup({ kind: 'cut-off', maxQueuedBytes: 1000, slot: { reserve: (q) => (reserved.push(q), true), release: () => {} } });
  socket.sendOutput(Buffer.alloc(800));
  ws.drain(300);
  t.same(reserved, [800, 500], 'the budget follows the queue');
  socket.sendOutput(Buffer.alloc(600));
  t.equal(ws.closedWith?.[0], 1008);
  t.match(String(ws.closedWith?.[1]), /the reader fell behind: 1100 bytes queued, past the limit of 1000/);
  t.same(ends, ['cut-off']);
  const sentAfter = ws.sent.length;
  socket.sendOutput(Buffer.alloc(10));
  t.equal(ws.sent.length, sentAfter, 'nothing is sent after the end');
});

t.test('input: frames, resizes and stdin-end applied in order, one at a time; a bad text frame closes 1008', async (t) => {
  const applied: string[] = [];
  let release: () => void = () => {};
  const { ws, ends } = setup('pause', {
    writeStdin: (d) => {
      applied.push(`write ${d.toString()}`);
      return new Promise<void>((r) => (release = r));
    },
    resize: (c, r) => void applied.push(`resize ${c}x${r}`),
    closeStdin: () => void applied.push('stdin-end'),
  });
  ws.emit('message', Buffer.from('a'), true);
  ws.emit('message', Buffer.from('{"type":"resize","columns":3,"rows":4}'), false);
  ws.emit('message', Buffer.from('{"type":"stdin-end"}'), false);
  await new Promise((r) => setImmediate(r));
  t.same(applied, ['write a'], 'the resize waits for the pending write');
  t.ok(ws.paused);
  release();
  await new Promise((r) => setImmediate(r));
  t.same(applied, ['write a', 'resize 3x4', 'stdin-end']);
  t.notOk(ws.paused, 'reading resumes once everything is applied');
  ws.emit('message', Buffer.from('{"type":"paste"}'), false);
  t.equal(ws.closedWith?.[0], 1008);
  t.same(ends, ['policy']);
});
