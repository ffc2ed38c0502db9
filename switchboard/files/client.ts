// The client side of the agent's files API, for `mesos-sidecar logs` (and any agent that
// serves /files/read). Bodies are parsed once here into bytes and numbers.
import type { SwitchboardClient } from '../client.js';
import { UnexpectedAnswerError } from '../../common/errors.js';

export interface FileChunk {
  data: Buffer;
  offset: number;
}

/**
 * `data` holds the file's raw bytes as JSON string characters: decoding the body as latin1
 * keeps every byte one character. An agent that escapes beyond U+00FF sent UTF-8 text.
 */
export function parseReadBody(body: Buffer): FileChunk {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('latin1'));
  } catch (err) {
    throw new UnexpectedAnswerError('switchboard', 200, `not JSON: ${(err as Error).message}`, 'GET /files/read');
  }
  const { data, offset } = (parsed ?? {}) as { data?: unknown; offset?: unknown };
  if (typeof data !== 'string' || typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new UnexpectedAnswerError('switchboard', 200, 'expected {"data": <string>, "offset": <non-negative integer>}', 'GET /files/read');
  }
  // eslint-disable-next-line no-control-regex
  const bytes = /[^\u0000-\u00ff]/.test(data) ? Buffer.from(data, 'utf8') : Buffer.from(data, 'latin1');
  return { data: bytes, offset };
}

/** GET /files/read; `offset` undefined asks for the size only (the reply's `offset`). */
export async function readFile(client: SwitchboardClient, path: string, offset: number | undefined, length?: number): Promise<FileChunk> {
  const query = new URLSearchParams({ path, offset: String(offset ?? -1), ...(length !== undefined ? { length: String(length) } : {}) });
  const res = await client.raw('GET', `/files/read?${query}`, { Accept: 'application/json' });
  if (res.status !== 200) throw new UnexpectedAnswerError('switchboard', res.status, res.body.toString(), `GET /files/read ${path}`);
  return parseReadBody(res.body);
}
