// plain shapes -> protobuf binary, walking the schema (protobufjs' Writer lays out the
// bytes). Fields go out in field-number order, as protobuf's own encoders write them;
// present-but-empty sub-messages are kept (`subscribe: {}` is `22 00`), required fields
// must be there, and enum names, 64-bit integers and bytes are checked on the way.
import protobuf from 'protobufjs/minimal.js';
import { fail, type Plain } from './plain.js';
import type { Field, MessageType } from './schema.js';
import { integerRange, scalarValue, scalarWireType, WIRE_LENGTH_DELIMITED } from './scalar-types.js';

type Writer = protobuf.Writer;

const tag = (id: number, wireType: number): number => ((id << 3) | wireType) >>> 0;

// Signed or not, a 64-bit field takes what either reading of its 64 bits holds.
const INT64_MIN = integerRange({ bits: 64, signed: true })[0];
const UINT64_MAX = integerRange({ bits: 64, signed: false })[1];

/** protobufjs writes 64-bit values from {low, high} words (two's complement for negatives). */
function longBits(value: unknown, path: string): { low: number; high: number } {
  let big: bigint;
  try {
    big = typeof value === 'bigint' ? value : BigInt(typeof value === 'number' ? Math.trunc(value) : String(value));
  } catch {
    return fail(path, `expected an integer, got ${JSON.stringify(String(value))}`);
  }
  if (big < INT64_MIN || big > UINT64_MAX) fail(path, `${big} is out of range for a 64-bit integer`);
  const bits = BigInt.asUintN(64, big);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0 };
}

type Writes<A> = { [K in keyof Writer]: Writer[K] extends (value: A) => Writer ? K : never }[keyof Writer];

/** One scalar of protobuf type `type`: the writer's method is named after the type, as the reader's is. */
function writeScalar(w: Writer, type: string, value: unknown, path: string): void {
  const scalar = scalarValue(type);
  switch (scalar.kind) {
    case 'integer':
      if (scalar.bits === 64) w[type as Writes<protobuf.Long>](longBits(value, path) as unknown as protobuf.Long);
      else w[type as Writes<number>](Number(value));
      return;
    case 'float':
      w[type as 'double' | 'float'](Number(value));
      return;
    case 'bool':
      w.bool(value === true || value === 'true');
      return;
    case 'string':
      w.string(String(value));
      return;
    case 'bytes':
      if (!(value instanceof Uint8Array)) fail(path, 'expected a Buffer');
      w.bytes(value);
  }
}

/** One value of `field` (an element of a repeated field, a map entry's value), without its tag. */
function writeValue(w: Writer, field: Field, value: unknown, path: string): void {
  const rt = field.resolvedType;
  if (rt?.kind === 'enum') {
    const id = rt.values[value as string];
    if (id === undefined) fail(path, `unknown ${rt.name} value ${JSON.stringify(value)}`);
    w.int32(id);
  } else if (rt) {
    if (typeof value !== 'object' || value === null) fail(path, 'expected a message');
    w.fork();
    writeMessage(w, rt, value as Plain, path);
    w.ldelim();
  } else {
    writeScalar(w, field.type, value, path);
  }
}

function writeMessage(w: Writer, type: MessageType, plain: Plain, path: string): void {
  for (const field of type.fieldsByNumber) {
    const value = plain[field.name];
    const fpath = `${path}.${field.name}`;
    if (value === undefined || value === null) {
      if (field.required) fail(fpath, 'required field is missing');
      continue;
    }
    if (field.map) {
      for (const [k, v] of Object.entries(value as Plain)) {
        w.uint32(tag(field.id, WIRE_LENGTH_DELIMITED)).fork();
        const keyType = field.keyType!;
        w.uint32(tag(1, scalarWireType(keyType)));
        writeScalar(w, keyType, k, `${fpath}[${k}]`);
        w.uint32(tag(2, field.wireType));
        writeValue(w, field, v, `${fpath}[${k}]`);
        w.ldelim();
      }
    } else if (field.repeated) {
      const list = value as unknown[];
      if (field.packed && list.length > 0) {
        w.uint32(tag(field.id, WIRE_LENGTH_DELIMITED)).fork();
        list.forEach((v, i) => writeValue(w, field, v, `${fpath}[${i}]`));
        w.ldelim();
      } else {
        list.forEach((v, i) => {
          w.uint32(tag(field.id, field.wireType));
          writeValue(w, field, v, `${fpath}[${i}]`);
        });
      }
    } else {
      w.uint32(tag(field.id, field.wireType));
      writeValue(w, field, value, fpath);
    }
  }
}

export function encodeMessage(type: MessageType, plain: Plain, path: string): Buffer {
  const w = protobuf.Writer.create();
  writeMessage(w, type, plain, path);
  const bytes = w.finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
