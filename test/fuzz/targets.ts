// The decoding fuzz targets: each is an arbitrary of mutated inputs and a check that
// returns when the input was accepted (asserting what acceptance promises) or throws.
import fc from 'fast-check';
import { inspect, isDeepStrictEqual } from 'node:util';
import { Codec, codecs, JSON_TYPE, PROTOBUF_TYPE, type agent, type MessageContentType } from '../../proto/codec.js';
import { readRecords, RecordIODecoder } from '../../proto/recordio.js';
import { ProcessIOReader } from '../../switchboard/process-io-reader.js';
import { Http1ResponseReader } from '../../common/http1-response.js';
import { applyByteEdits, applyJsonEdits, byteEdits, chunkCuts, frameWithLengthEdits, jsonEdits, lengthEdits, splitAt } from './mutations.js';
import { validMessage } from './messages.js';

import type { Plain } from '../../proto/plain.js';

/** What a target runs: generated inputs and the check of one. */
export interface Target<T> {
  name: string;
  arb: fc.Arbitrary<T>;
  check: (input: T) => string | void | Promise<string | void>;
}

function failCheck(what: string, input: unknown): never {
  throw new Error(`${what}: ${typeof input === 'string' ? input.slice(0, 300) : Buffer.isBuffer(input) ? input.toString('hex').slice(0, 600) : ''}`);
}

/** Where two decoded values first differ, for a readable failure. */
function firstDifference(a: unknown, b: unknown, path = ''): string {
  if (isDeepStrictEqual(a, b)) return '';
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Buffer.isBuffer(a)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as Plain)[k], (b as Plain)[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path}: ${inspect(a)} became ${inspect(b)}`;
}

// ---------------------------------------------------------------------------------------
// Codec: every message type the executor, the switchboard or the CLI decodes.

export const DECODED_TYPES: [string, Codec<unknown>][] = [
  ['mesos.v1.executor.Event', codecs.executor.Event as Codec<unknown>],
  ['mesos.v1.executor.Call', codecs.executor.Call as Codec<unknown>],
  ['mesos.v1.agent.Call', codecs.agent.Call as Codec<unknown>],
  ['mesos.v1.agent.Response', codecs.agent.Response as Codec<unknown>],
  ['mesos.v1.agent.ProcessIO', codecs.agent.ProcessIO as Codec<unknown>],
];

/** Whatever decodes encodes again, in both encodings, and re-decodes to the same value. */
function assertReencodes(codec: Codec<unknown>, decoded: unknown, input: Buffer | string): void {
  const binary = codec.encodeBinary(decoded);
  const again = codec.decodeBinary(binary);
  if (!isDeepStrictEqual(again, decoded)) failCheck(`binary round trip changed the value (${firstDifference(decoded, again)})`, input);
  const text = codec.toJsonText(decoded);
  // JSON writes explicit defaults, so the first round trip may add fields; then it is stable.
  if (codec.toJsonText(codec.decodeJson(text)) !== text) failCheck('JSON round trip is not stable', input);
}

/**
 * Mutated encodings of valid messages. Mutations start from a pool of valid messages
 * generated and encoded once (generating and encoding a fresh one per input would take
 * most of the run's time); one input in ten is a freshly generated valid message, which
 * must decode to itself.
 */
export function codecTarget(fullName: string, codec: Codec<unknown>, encoding: MessageContentType, seed: number, poolSize: number): Target<{ bytes: Buffer; pristine?: Plain }> {
  const valid = validMessage(fullName);
  const encode = (m: Plain) => codec.encode(m, encoding);
  const pool = fc.sample(valid, { numRuns: poolSize, seed }).map((m) => ({ bytes: encode(m), text: encoding === JSON_TYPE ? codec.toJsonText(m) : '' }));
  const pick = fc.nat({ max: pool.length - 1 }).map((i) => pool[i]!);
  const byteMutated = fc.tuple(pick, pick, byteEdits).map(([m, donor, edits]) => ({ bytes: applyByteEdits(m.bytes, edits, donor.bytes) }));
  const mutated =
    encoding === PROTOBUF_TYPE
      ? byteMutated
      : fc.oneof({ arbitrary: fc.tuple(pick, jsonEdits).map(([m, edits]) => ({ bytes: Buffer.from(applyJsonEdits(m.text, edits)) })), weight: 3 }, byteMutated);
  const arb = fc.oneof({ arbitrary: mutated, weight: 9 }, { arbitrary: valid.map((m) => ({ bytes: encode(m), pristine: m })), weight: 1 });
  return {
    name: `codec ${fullName.replace('mesos.v1.', '')} ${encoding === JSON_TYPE ? 'json' : 'protobuf'}`,
    arb,
    check({ bytes, pristine }) {
      let decoded: unknown;
      try {
        decoded = codec.decode(bytes, encoding);
      } catch (err) {
        if (pristine) failCheck(`a valid message was refused (${(err as Error).message})`, bytes);
        throw err;
      }
      if (pristine && encoding === PROTOBUF_TYPE && !isDeepStrictEqual(decoded, pristine)) failCheck('a valid message did not decode to itself', bytes);
      assertReencodes(codec, decoded, bytes);
    },
  };
}

// ---------------------------------------------------------------------------------------
// RecordIO: the decoder and the async reader must agree, on any framing and chunking.

const MAX_RECORD = 4096;

const payload = fc.oneof(
  fc.uint8Array({ maxLength: 48 }).map((a) => Buffer.from(a)),
  validMessage('mesos.v1.agent.ProcessIO').map((m) => codecs.agent.ProcessIO.encodeBinary(m)),
  fc.integer({ min: MAX_RECORD - 2, max: MAX_RECORD + 2 }).map((n) => Buffer.alloc(n, 0x61)),
);

interface Stream {
  bytes: Buffer;
  chunks: Buffer[];
  /** The payloads framed, when no edit touched the stream. */
  intact?: Buffer[];
}

const stream = (payloads: fc.Arbitrary<Buffer[]>): fc.Arbitrary<Stream> =>
  fc.tuple(payloads, lengthEdits, fc.option(byteEdits, { freq: 2 }), chunkCuts).map(([ps, lengths, edits, cuts]) => {
    const framed = frameWithLengthEdits(ps, lengths);
    const bytes = edits ? applyByteEdits(framed, edits, framed) : framed;
    const intact = lengths.length === 0 && !edits ? ps : undefined;
    return { bytes, chunks: splitAt(bytes, cuts), ...(intact ? { intact } : {}) };
  });

async function* source(chunks: Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}

export const recordIOTarget: Target<Stream> = {
  name: 'recordio',
  arb: stream(fc.array(payload, { maxLength: 5 })),
  async check({ bytes, chunks, intact }) {
    const decoder = new RecordIODecoder({ maxRecordSize: MAX_RECORD });
    const records: Buffer[] = [];
    let error: unknown;
    try {
      for (const c of chunks) {
        records.push(...decoder.decode(c));
        if (decoder.error) throw decoder.error;
      }
      decoder.finish();
    } catch (err) {
      error = err;
      // Sticky: a broken decoder refuses everything after, with the same error.
      try {
        decoder.decode(Buffer.from('1\na'));
        failCheck('decoder accepted bytes after failing', bytes);
      } catch (again) {
        if (again !== decoder.error) failCheck('decoder failed differently after failing', bytes);
      }
    }
    const read: Buffer[] = [];
    let readError: unknown;
    try {
      for await (const r of readRecords(source(chunks), { maxRecordSize: MAX_RECORD })) read.push(r);
    } catch (err) {
      readError = err;
    }
    if (!isDeepStrictEqual(read, records) || (error as { code?: string })?.code !== (readError as { code?: string })?.code) failCheck('readRecords and RecordIODecoder disagree', bytes);
    if (records.some((r) => r.length > MAX_RECORD)) failCheck('a record over the limit was handed out', bytes);
    if (records.reduce((n, r) => n + r.length, 0) > bytes.length) failCheck('records hold more bytes than the stream', bytes);
    if (intact && !error && !isDeepStrictEqual(records, intact)) failCheck('intact stream decoded to other records', bytes);
    if (intact && error && intact.every((p) => p.length <= MAX_RECORD)) failCheck('intact stream was refused', bytes);
    if (error) throw error;
  },
};

// ---------------------------------------------------------------------------------------
// ProcessIO reader: on any stream it must agree with RecordIO + the codec, record by record.

/** DATA payloads joined per run of one stream type, empty DATA dropped (the reader's fast path drops them). */
function normalise(messages: agent.ProcessIO[]): unknown[] {
  const out: unknown[] = [];
  for (const m of messages) {
    if (m.type === 'DATA' && m.data?.data !== undefined && m.data.type !== undefined) {
      if (m.data.data.length === 0) continue;
      const last = out.at(-1) as { stream?: string; bytes?: Buffer[] } | undefined;
      if (last?.stream === m.data.type) last.bytes!.push(m.data.data);
      else out.push({ stream: m.data.type, bytes: [m.data.data] });
    } else out.push(m);
  }
  return out.map((x) => ((x as { bytes?: Buffer[] }).bytes ? { ...(x as object), bytes: Buffer.concat((x as { bytes: Buffer[] }).bytes) } : x));
}

const dataRecord = fc.tuple(fc.constantFrom('STDIN' as const, 'STDOUT' as const, 'STDERR' as const), fc.uint8Array({ maxLength: 300 })).map(
  ([type, data]): agent.ProcessIO => ({ type: 'DATA', data: { type, data: Buffer.from(data) } }),
);

export function processIOTarget(encoding: MessageContentType): Target<Stream> {
  const message = fc.oneof({ arbitrary: dataRecord, weight: 3 }, { arbitrary: validMessage('mesos.v1.agent.ProcessIO') as fc.Arbitrary<agent.ProcessIO>, weight: 1 });
  return {
    name: `process-io ${encoding === JSON_TYPE ? 'json' : 'protobuf'}`,
    arb: stream(fc.array(message.map((m) => codecs.agent.ProcessIO.encode(m, encoding)), { maxLength: 5 })),
    check({ bytes, chunks }) {
      const reader = new ProcessIOReader(encoding, MAX_RECORD);
      const got: agent.ProcessIO[] = [];
      let error: unknown;
      try {
        for (const c of chunks) got.push(...reader.push(c));
        reader.finish();
      } catch (err) {
        error = err;
      }
      // The reference: whole records, each decoded by the codec (empty records carry nothing).
      const want: agent.ProcessIO[] = [];
      let wantError: unknown;
      try {
        const decoder = new RecordIODecoder({ maxRecordSize: MAX_RECORD });
        const records = decoder.decode(bytes);
        if (decoder.error) throw decoder.error;
        decoder.finish();
        for (const r of records) if (r.length > 0) want.push(codecs.agent.ProcessIO.decode(r, encoding));
      } catch (err) {
        wantError = err;
      }
      if (!error !== !wantError) failCheck(`reader ${error ? 'refused' : 'accepted'} a stream the reference ${wantError ? 'refused' : 'accepted'} (${String(error ?? wantError)})`, bytes);
      if (!error && !isDeepStrictEqual(normalise(got), normalise(want))) failCheck('reader and reference disagree', bytes);
      if (error) throw error;
    },
  };
}


// ---------------------------------------------------------------------------------------
// HTTP/1.1 response reader (the switchboard client's stream transport): any bytes give a
// head and body or an HttpResponseError; an untouched response gives its status and body.

interface Response {
  bytes: Buffer;
  chunks: Buffer[];
  close: boolean;
  intact?: { status: number; body: Buffer };
}

const fieldName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/).filter((n) => !/^(content-length|transfer-encoding)$/i.test(n));
const responseArb: fc.Arbitrary<Response> = fc
  .tuple(
    fc.record({
      status: fc.constantFrom(200, 204, 404, 500),
      interim: fc.boolean(),
      framing: fc.constantFrom('chunked' as const, 'length' as const, 'close' as const),
      fields: fc.array(fc.tuple(fieldName, fc.stringMatching(/^[!-~]([ -~]{0,18}[!-~])?$/)), { maxLength: 4 }),
      parts: fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a)), { maxLength: 5 }),
      extension: fc.boolean(),
    }),
    fc.option(byteEdits, { freq: 2 }),
    chunkCuts,
  )
  .map(([r, edits, cuts]) => {
    const body = r.status === 204 ? Buffer.alloc(0) : Buffer.concat(r.parts);
    let head = `${r.interim ? 'HTTP/1.1 100 Continue\r\n\r\n' : ''}HTTP/1.1 ${r.status} X\r\n${r.fields.map(([n, v]) => `${n}: ${v}\r\n`).join('')}`;
    let framed: Buffer;
    if (r.framing === 'chunked') {
      head += 'Transfer-Encoding: chunked\r\n\r\n';
      const chunks = r.status === 204 ? [] : r.parts.map((p) => Buffer.concat([Buffer.from(`${p.length.toString(16)}${r.extension ? ';x=y' : ''}\r\n`), p, Buffer.from('\r\n')]));
      framed = Buffer.concat([Buffer.from(head, 'latin1'), ...chunks, Buffer.from(r.status === 204 ? '' : '0\r\n\r\n')]);
    } else if (r.framing === 'length') framed = Buffer.concat([Buffer.from(`${head}Content-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
    else framed = Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), body]);
    const bytes = edits ? applyByteEdits(framed, edits, framed) : framed;
    return { bytes, chunks: splitAt(bytes, cuts), close: r.framing === 'close', ...(edits ? {} : { intact: { status: r.status, body } }) };
  });

export const httpResponseTarget: Target<Response> = {
  name: 'http1-response',
  arb: responseArb,
  check({ bytes, chunks, close, intact }) {
    let status: number | undefined;
    let heads = 0;
    let delivered = 0;
    const body: Buffer[] = [];
    const reader = new Http1ResponseReader({
      head: (h) => {
        heads++;
        status = h.status;
      },
      body: (s) => {
        delivered += s.length;
        // Copied: the reader hands out views of the chunk being pushed.
        body.push(Buffer.from(s));
      },
      end: () => {},
    });
    let error: unknown;
    try {
      for (const c of chunks) reader.push(c);
      if (close) reader.finish();
    } catch (err) {
      error = err;
    }
    if (heads > 1) failCheck('more than one head', bytes);
    if (delivered > bytes.length) failCheck('more body bytes than input', bytes);
    if (intact) {
      if (error) failCheck(`intact response refused (${String(error)})`, bytes);
      if (status !== intact.status || !Buffer.concat(body).equals(intact.body) || !reader.complete) failCheck('intact response read as another', bytes);
    }
    if (error) throw error;
  },
};
