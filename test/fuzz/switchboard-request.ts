// The switchboard's request path under mutated requests: the real request handler on
// 127.0.0.1 (harness' startFixture), with no tasks registered, so that no input can start
// a process. Every answer must be a status of the documented set with a body (empty only
// where Mesos answers empty), never the 'Internal error' 500 of an unexpected exception.
import fc from 'fast-check';
import { PassThrough } from 'node:stream';
import type { Test } from 'tap';
import { createLogger } from '../../common/logger.js';
import { RecordIODecoder } from '../../proto/recordio.js';
import { codecs, JSON_TYPE, PROTOBUF_TYPE, type agent, type MessageContentType } from '../../proto/codec.js';
import { startFixture, TOKEN, type Fixture } from '../switchboard/harness.js';
import { validMessage } from './messages.js';
import { applyByteEdits, applyJsonEdits, byteEdits, frameWithLengthEdits, jsonEdits, lengthEdits } from './mutations.js';
import type { Target } from './targets.js';

const RIO = 'application/recordio';
// attach-exec.md §2 and the error table of the switchboard (switchboard/errors.ts).
const DOCUMENTED = new Set([400, 401, 403, 404, 405, 406, 409, 413, 415, 429, 500, 501, 503]);
// Statuses Mesos answers with an empty body: 401 (challenge in WWW-Authenticate), 403, 501
// for UNKNOWN, and libprocess' 404 for a path it has no route for.
const EMPTY_BODY_OK = new Set([401, 403, 501]);
const API_PATHS = new Set(['/api/v1', '/slave(1)/api/v1']);
export const REQUEST_BOUND_MS = 2000;

const parent = { value: 'executor-cid' };
const id = fc.oneof(fc.constantFrom('x', 'session-1', 'a.b', '', '.', 'x'.repeat(243)), fc.string({ maxLength: 6 })).map((value) => ({ value, parent }));
// Calls that pass decoding and validation, so mutations reach the dispatch and lookups too.
const realistic: fc.Arbitrary<agent.Call> = fc.oneof(
  id.map((container_id): agent.Call => ({ type: 'WAIT_CONTAINER', wait_container: { container_id } })),
  id.map((container_id): agent.Call => ({ type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id } })),
  id.map((container_id): agent.Call => ({ type: 'KILL_CONTAINER', kill_container: { container_id, signal: 9 } })),
  id.map((container_id): agent.Call => ({ type: 'REMOVE_CONTAINER', remove_container: { container_id } })),
  id.map((container_id): agent.Call => ({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id } })),
  id.map((container_id): agent.Call => ({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID', container_id } })),
  id.map((container_id): agent.Call => ({ type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id, command: { value: 'true' } } })),
);
const call = fc.oneof({ arbitrary: realistic, weight: 2 }, { arbitrary: validMessage('mesos.v1.agent.Call') as fc.Arbitrary<agent.Call>, weight: 1 });
const stdin: agent.Call = { type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'PROCESS_IO', process_io: { type: 'DATA', data: { type: 'STDIN', data: Buffer.from('x') } } } };

export interface Request {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

const request: fc.Arbitrary<Request> = fc
  .record({
    method: fc.oneof({ arbitrary: fc.constant('POST'), weight: 20 }, fc.constantFrom('GET', 'PUT')),
    path: fc.oneof({ arbitrary: fc.constant('/api/v1'), weight: 20 }, fc.constantFrom('/slave(1)/api/v1', '/api/v2', '/tasks', '/api/v1?x=1')),
    auth: fc.oneof({ arbitrary: fc.constant(`Bearer ${TOKEN}`), weight: 20 }, fc.constantFrom('', 'Bearer nope', 'Basic !!!')),
    encoding: fc.constantFrom<MessageContentType>(JSON_TYPE, PROTOBUF_TYPE),
    streaming: fc.boolean(),
    contentType: fc.oneof({ arbitrary: fc.constant(undefined), weight: 20 }, fc.constantFrom('', 'text/plain', 'application/json; charset=utf-8', RIO)),
    accept: fc.constantFrom(undefined, JSON_TYPE, PROTOBUF_TYPE, RIO, 'text/html', '*/*'),
    calls: fc.array(call, { minLength: 1, maxLength: 3 }),
    edits: fc.oneof(fc.constant(undefined), byteEdits),
    json: fc.oneof(fc.constant(undefined), jsonEdits),
    lengths: lengthEdits,
  })
  .map((r): Request => {
    const encode = (c: agent.Call, i: number) => {
      if (r.encoding === JSON_TYPE && r.json && i === 0) return Buffer.from(applyJsonEdits(codecs.agent.Call.toJsonText(c), r.json));
      return codecs.agent.Call.encode(c, r.encoding);
    };
    const messages = [...r.calls.map(encode), ...(r.streaming ? [codecs.agent.Call.encode(stdin, r.encoding)] : [])];
    const framed = r.streaming ? frameWithLengthEdits(messages, r.lengths) : messages[0]!;
    const body = r.edits ? applyByteEdits(framed, r.edits, messages.at(-1)!) : framed;
    const headers: Record<string, string> = { 'Content-Type': r.contentType ?? (r.streaming ? RIO : r.encoding) };
    if (r.streaming) headers['Message-Content-Type'] = r.encoding;
    if (r.accept) headers.Accept = r.accept;
    // An empty value drops the header in SwitchboardClient.open, so '' means "no credentials".
    headers.Authorization = r.auth;
    return { method: r.method, path: r.path, headers, body };
  });

function callType(req: Request): string | undefined {
  const encoding = (req.headers['Message-Content-Type'] ?? req.headers['Content-Type']) as MessageContentType;
  try {
    const first = req.headers['Message-Content-Type'] ? new RecordIODecoder().decode(req.body)[0] : req.body;
    return first ? codecs.agent.Call.decode(first, encoding).type : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the switchboard and returns the target; its logger keeps only error lines. */
export async function switchboardRequestTarget(t: Test): Promise<{ target: Target<Request>; unexpected: string[]; fixture: Fixture }> {
  const unexpected: string[] = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => {
    for (const line of c.toString().split('\n')) if (line.includes('"level":50') || line.includes('"level":60')) unexpected.push(line.slice(0, 500));
  });
  const fixture = await startFixture(t, { logger: createLogger({ name: 'switchboard-fuzz', level: 'error', destination: sink }) });
  const target: Target<Request> = {
    name: 'switchboard request',
    arb: request,
    async check(req) {
      const res = await fixture.client.raw(req.method, req.path, req.headers, req.method === 'GET' ? undefined : req.body);
      const body = res.body.toString();
      const what = `${req.method} ${req.path} ${JSON.stringify(req.headers)} ${req.body.toString('hex').slice(0, 400)} -> ${res.status} ${body.slice(0, 200)}`;
      if (req.path === '/tasks' && req.method === 'GET' && res.status === 200) return '200';
      // Mesos answers REMOVE_* of a nested container it does not know with 200 (spec §6.6).
      if (res.status === 200 && body === '' && /^REMOVE_/.test(callType(req) ?? '')) return '200';
      if (!DOCUMENTED.has(res.status)) throw new Error(`undocumented status: ${what}`);
      if (res.status === 500 && (body === '' || body === 'Internal error')) throw new Error(`unexpected 500: ${what}`);
      const noRoute = res.status === 404 && !API_PATHS.has(req.path.split('?')[0]!);
      if (body === '' && !EMPTY_BODY_OK.has(res.status) && !noRoute) throw new Error(`answer without a body: ${what}`);
      return String(res.status);
    },
  };
  return { target, unexpected, fixture };
}
