// Reads a whole HTTP message body (a request on a server, a response on a client) into one
// buffer, refusing at the first byte past `limit` so a peer cannot make us hold more.
import { SidecarError } from './errors.js';

/** The body is longer than the reader allows; nothing past the limit was kept. */
export class BodyTooLargeError extends SidecarError {
  readonly code = 'E_BODY_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`body exceeds the limit of ${limit} bytes`);
  }
}

export async function readBody(body: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
