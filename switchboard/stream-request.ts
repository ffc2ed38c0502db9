// A request whose answer is read off its own connection into reused buffers
// (process/read-buffers.ts) and framed here (common/http1-response.ts), so that a
// streaming body reaches the consumer in the slices it was read in. Through Node's HTTP
// client every body byte was copied once more, into a fresh buffer per socket read; at
// exec speed that copy and the garbage it made were about half the client's CPU.
import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import { keepAlive } from '../common/keepalive.js';
import { Http1ResponseReader } from '../common/http1-response.js';
import { ReadBuffers, type ChunkLease } from '../process/read-buffers.js';
import { ItemQueue } from './record-stream.js';
import { StreamCutError } from './errors.js';

export interface StreamTarget {
  socketPath?: string;
  host?: string;
  port?: number;
}

/** A slice of the body; valid until the consumer pulls the next one, unless `lease` is retained. */
export interface BodyChunk {
  chunk: Buffer;
  lease: ChunkLease;
}

export interface StreamedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, with backpressure: reading pauses while more than the bound waits. */
  body: AsyncGenerator<BodyChunk>;
  /** Drops the connection; a body still being read ends with a StreamCutError. */
  destroy(): void;
}

export interface StreamRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Body bytes read ahead of the consumer before the connection is paused (default 1 MiB). */
  highWaterBytes?: number;
}

const FIELD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function requestHead(target: StreamTarget, request: StreamRequest): Buffer {
  const host = target.socketPath !== undefined ? 'localhost' : `${target.host!.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  let head = `${request.method} ${request.path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [name, value] of Object.entries(request.headers)) {
    // What a caller passes (a header from the command line) must not split the request.
    if (!FIELD.test(name) || /[\r\n\0]/.test(value)) throw new TypeError(`invalid request header ${JSON.stringify(name)}`);
    head += `${name}: ${value}\r\n`;
  }
  // One request per connection: a stream lives as long as its session.
  return Buffer.from(`${head}Content-Length: ${request.body.length}\r\nConnection: close\r\n\r\n`, 'latin1');
}

export function streamRequest(target: StreamTarget, request: StreamRequest): Promise<StreamedResponse> {
  const head = requestHead(target, request);
  const buffers = new ReadBuffers();
  let lease: ChunkLease | undefined;
  let answered = false;
  let complete = false;
  const queued = new ItemQueue<BodyChunk & { release: () => void }>(
    { pause: () => socket.pause(), resume: () => socket.resume() },
    { sizeOf: (c) => c.chunk.length, done: (c) => c.release(), ...(request.highWaterBytes === undefined ? {} : { highWaterBytes: request.highWaterBytes }) },
  );
  let settle!: { resolve: (r: StreamedResponse) => void; reject: (err: unknown) => void };
  const answer = new Promise<StreamedResponse>((resolve, reject) => (settle = { resolve, reject }));
  const fail = (err: unknown): void => {
    if (complete) return;
    // Before the head the request failed as such (refused, not HTTP); after it the body
    // was cut off, whatever cut it.
    if (!answered) settle.reject(err);
    queued.fail(err instanceof StreamCutError ? err : new StreamCutError((err as Error).message));
    socket.destroy();
  };
  const reader = new Http1ResponseReader({
    head: (h) => {
      answered = true;
      settle.resolve({ status: h.status, headers: h.headers, body: queued.items(), destroy: () => fail(new StreamCutError('the stream was dropped')) });
    },
    body: (chunk) => queued.add([{ chunk, lease: lease!, release: lease!.retain() }]),
    end: () => {
      complete = true;
      queued.end();
      socket.destroy();
    },
  });
  const onread = {
    buffer: () => buffers.advance(),
    callback: (n: number): boolean => {
      const read = buffers.commit(n);
      lease = read.lease;
      try {
        reader.push(read.chunk);
      } catch (err) {
        fail(err);
      }
      return true;
    },
  };
  const socket = target.socketPath !== undefined ? net.connect({ path: target.socketPath, onread }) : net.connect({ host: target.host!, port: target.port!, onread });
  keepAlive(socket);
  // Flowing from the start, so that the end is seen; pause() and resume() stop and start
  // the reads into our buffers.
  socket.resume();
  socket.on('end', () => {
    try {
      reader.finish();
    } catch (err) {
      fail(err);
    }
  });
  socket.on('error', fail);
  socket.on('close', () => fail(new StreamCutError('the connection closed before the answer ended')));
  socket.write(Buffer.concat([head, request.body]));
  return answer;
}
