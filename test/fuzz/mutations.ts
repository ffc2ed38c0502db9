// Mutations of valid encodings, as fast-check arbitraries of small edit scripts: byte
// edits (bit flips, truncation, insertion, deletion, splicing from a donor, hostile
// varints), RecordIO length-line tampering, and JSON key/value edits with deep nesting.
import fc from 'fast-check';

type ByteEdit =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'splice'; at: number; from: number; length: number }
  | { kind: 'varint'; at: number; bytes: Uint8Array };

// Varints at the edges: 10-byte maxima, an unterminated run, lengths just past 2^31/2^32.
const HOSTILE_VARINTS = ['ffffffffffffffffff01', 'ffffffffffffffffffff', 'ffffffff0f', '8080808008', '80808080100a', '00', '7f'].map((h) => Buffer.from(h, 'hex'));

const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), weight: 4 },
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), from: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('varint' as const), at: fc.nat(), bytes: fc.constantFrom(...HOSTILE_VARINTS) }),
);

export const byteEdits = fc.array(byteEdit, { minLength: 1, maxLength: 4 });

/** Applies `edits` to `input`; `donor` feeds splices (another valid encoding). */
export function applyByteEdits(input: Buffer, edits: ByteEdit[], donor: Buffer): Buffer {
  let buf = input;
  for (const e of edits) {
    const at = e.at % (buf.length + 1);
    switch (e.kind) {
      case 'flip':
        if (buf.length === 0) break;
        buf = Buffer.from(buf);
        buf[at % buf.length]! ^= 1 << e.bit;
        break;
      case 'truncate':
        buf = buf.subarray(0, at);
        break;
      case 'insert':
        buf = Buffer.concat([buf.subarray(0, at), e.bytes, buf.subarray(at)]);
        break;
      case 'delete':
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + e.length)]);
        break;
      case 'splice': {
        const from = donor.length === 0 ? 0 : e.from % donor.length;
        buf = Buffer.concat([buf.subarray(0, at), donor.subarray(from, from + e.length), buf.subarray(at)]);
        break;
      }
      case 'varint':
        buf = Buffer.concat([buf.subarray(0, at), e.bytes, buf.subarray(at + e.bytes.length)]);
        break;
    }
  }
  return buf;
}

// ---------------------------------------------------------------------------------------
// RecordIO length lines

const HOSTILE_LENGTHS = ['', '-1', '+5', ' 5', '5 ', '0x10', '1e3', '٣', '99999999999999999999', '18446744073709551616', '123456789012345678901', '9007199254740993', '4097', '00000000000000000005'];

export type LengthEdit = { record: number; text: string } | { record: number; delta: number };

export const lengthEdits: fc.Arbitrary<LengthEdit[]> = fc.array(
  fc.oneof(
    fc.record({ record: fc.nat(), text: fc.constantFrom(...HOSTILE_LENGTHS) }),
    fc.record({ record: fc.nat(), delta: fc.integer({ min: -3, max: 3 }) }),
  ),
  { maxLength: 2 },
);

/** Frames `payloads` as RecordIO with some length lines replaced or off by a few. */
export function frameWithLengthEdits(payloads: Buffer[], edits: LengthEdit[]): Buffer {
  const lines = payloads.map((p) => String(p.length));
  for (const e of edits) {
    if (lines.length === 0) break;
    const i = e.record % lines.length;
    lines[i] = 'text' in e ? e.text : String(Math.max(0, payloads[i]!.length + e.delta));
  }
  return Buffer.concat(payloads.flatMap((p, i) => [Buffer.from(`${lines[i]}\n`, 'latin1'), p]));
}

/** Cut points splitting a stream into chunks as sockets would deliver it. */
export const chunkCuts = fc.array(fc.nat(), { maxLength: 6 });

export function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    if (p > from) chunks.push(buf.subarray(from, p));
    from = Math.max(from, p);
  }
  if (from < buf.length || chunks.length === 0) chunks.push(buf.subarray(from));
  return chunks;
}

// ---------------------------------------------------------------------------------------
// JSON

type JsonEdit =
  | { kind: 'replace'; node: number; value: string }
  | { kind: 'delete'; node: number }
  | { kind: 'rename'; node: number; key: string }
  | { kind: 'nest'; node: number; levels: number; open: '[' | '{"a":' };

// Raw JSON texts to drop in place of a value: wrong types, edge numbers, numeric strings.
const HOSTILE_VALUES = [
  'null', 'true', '"true"', '0', '-0', '1.5', '"1.5"', '1e400', '-1e400', '"1e2"', '12345678901234567890123', '18446744073709551616', '-9223372036854775809',
  '9007199254740993', '"NaN"', '"Infinity"', '"-Infinity"', '""', '"=="', '"a=b"', '"////"', '"TASK_RUNNING"', '"NO_SUCH_ENUM"', '[]', '[null]', '{}', '{"value":""}',
  '"\\u0000"', '"\\ud800"', '4294967296', '-2147483649', '2147483648', '0.1e1',
];
const FIELD_NAMES = ['type', 'value', 'task_id', 'container_id', 'parent', 'data', 'uuid', 'state', 'limits', '__proto__', 'constructor', 'toString', 'subscribe', 'process_io', 'nanoseconds'];

const jsonEdit: fc.Arbitrary<JsonEdit> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('replace' as const), node: fc.nat(), value: fc.oneof(fc.constantFrom(...HOSTILE_VALUES), fc.json({ maxDepth: 2 })) }), weight: 4 },
  fc.record({ kind: fc.constant('delete' as const), node: fc.nat() }),
  fc.record({ kind: fc.constant('rename' as const), node: fc.nat(), key: fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 6 })) }),
  fc.record({ kind: fc.constant('nest' as const), node: fc.nat(), levels: fc.oneof(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 120, max: 6000 })), open: fc.constantFrom('[' as const, '{"a":' as const) }),
);

export const jsonEdits = fc.array(jsonEdit, { minLength: 1, maxLength: 3 });

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

// Raw text cannot sit in a parsed tree: a placeholder string marks it until stringify.
const RAW = '\u0001raw:';

/** Applies `edits` to the JSON text `text` (valid JSON, as the codec wrote it). */
export function applyJsonEdits(text: string, edits: JsonEdit[]): string {
  const tree = JSON.parse(text) as Json;
  const raws: string[] = [];
  const holder: { root: Json } = { root: tree };
  for (const e of edits) {
    // Every (parent, key) slot in the tree, in document order.
    const slots: [Record<string, Json> | Json[], string | number][] = [[holder as unknown as Record<string, Json>, 'root']];
    const walk = (v: Json): void => {
      if (Array.isArray(v)) v.forEach((x, i) => (slots.push([v, i]), walk(x)));
      else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) slots.push([v, k]), walk(v[k]!);
    };
    walk(holder.root);
    const [parent, key] = slots[e.node % slots.length]!;
    const set = (value: Json) => ((parent as Record<string | number, Json>)[key] = value);
    const raw = (r: string): Json => `${RAW}${raws.push(r) - 1}`;
    switch (e.kind) {
      case 'replace':
        set(raw(e.value));
        break;
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else if (parent !== (holder as unknown)) delete (parent as Record<string, Json>)[key];
        break;
      case 'rename':
        if (!Array.isArray(parent) && parent !== (holder as unknown)) {
          const v = (parent as Record<string, Json>)[key]!;
          delete (parent as Record<string, Json>)[key];
          Object.defineProperty(parent, e.key, { value: v, enumerable: true, writable: true, configurable: true });
        }
        break;
      case 'nest': {
        const inner = JSON.stringify((parent as Record<string | number, Json>)[key]);
        const close = e.open === '[' ? ']' : '}';
        set(raw(`${e.open.repeat(e.levels)}${inner}${close.repeat(e.levels)}`));
        break;
      }
    }
  }
  // Placeholders may have been nested inside other raw texts: resolve until none is left.
  let out = JSON.stringify(holder.root) ?? 'null';
  const marker = new RegExp(`"${JSON.stringify(RAW).slice(1, -1).replace(/\\/g, '\\\\')}(\\d+)"`, 'g');
  for (let pass = 0; pass < 4 && out.includes('raw:'); pass++) out = out.replace(marker, (_m, i: string) => raws[Number(i)]!);
  return out;
}
