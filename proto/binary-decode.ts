// protobuf binary -> plain shapes, walking the schema ourselves (protobufjs supplies the
// byte reader only). Doing the walk here lets every failure name the field it happened in
// and lets us parse the way protobuf's C++ parser does, which is what Mesos runs:
//   - a known field number with an unexpected wire type is an unknown field (skipped);
//   - a repeated occurrence of a singular sub-message merges into the first;
//   - repeated scalars are accepted packed and unpacked;
//   - a map entry without key or value gets the default key ("") or an empty value,
//     and an empty message value then answers for its own required fields;
//   - an enum number we do not know is an unknown field: the field stays unset (or the
//     element or map entry is left out); in a required field that makes the message
//     invalid, so it is a decode error rather than a value we could not encode again;
//   - sub-messages nest at most MAX_NESTING_DEPTH deep.
import protobuf from 'protobufjs/minimal.js';
import Long from 'long';
import { CodecError } from '../common/errors.js';
import { MAX_NESTING_DEPTH } from './nesting.js';
import { isPackableScalar, scalarDefault, scalarValue, scalarWireType, WIRE_LENGTH_DELIMITED } from './scalar-types.js';
import type { Field, MessageType } from './schema.js';
import { entryPath, fail, own, setEntry, type Plain } from './plain.js';

type Reader = protobuf.Reader;

// With Long installed the reader hands 64-bit values out whole; without it, as lossy numbers.
protobuf.util.Long = Long;
protobuf.configure();

function isPackable(field: Field): boolean {
  return field.resolvedType ? field.resolvedType.kind === 'enum' : isPackableScalar(field.type);
}

// protobufjs hands 64-bit values out as Long (util.Long, set above) or number.
function toBigInt(value: { high: number; low: number } | number, unsigned: boolean): bigint {
  if (typeof value === 'number') return BigInt(value);
  const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return unsigned ? bits : BigInt.asIntN(64, bits);
}

type Reads<R> = { [K in keyof Reader]: Reader[K] extends () => R ? K : never }[keyof Reader];

/** One scalar of protobuf type `type` (not an enum, not a message). */
function readScalar(reader: Reader, type: string): unknown {
  const value = scalarValue(type);
  switch (value.kind) {
    case 'integer':
      // The reader's method is named after the type (int32(), sfixed64(), ...).
      if (value.bits === 64) return toBigInt(reader[type as Reads<protobuf.Long>](), !value.signed);
      return reader[type as Reads<number>]();
    case 'float':
      return reader[type as 'double' | 'float']();
    case 'bool':
      return reader.bool();
    case 'string':
      // Not reader.string(): protobufjs' Buffer reader clips a string that runs past the
      // end instead of failing, which would decode a truncated message as valid.
      return asBuffer(reader.bytes()).toString('utf8');
    case 'bytes':
      return asBuffer(reader.bytes());
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A non-message value of `field`; undefined for an enum number we do not know. */
function readValue(reader: Reader, field: Field, path: string): unknown {
  const rt = field.resolvedType;
  if (rt?.kind !== 'enum') return readScalar(reader, field.type);
  const n = reader.int32();
  const name = rt.valuesById[n];
  if (name === undefined && field.required) fail(path, `unknown ${rt.nestedName} value ${n} in a required field`);
  return name;
}

function describe(err: unknown): string {
  // protobufjs' reader signals reading past the end as RangeError('index out of range…').
  if (err instanceof RangeError) return `truncated (${err.message})`;
  return err instanceof Error ? err.message : String(err);
}

/** Decodes `bytes` as a `type` message, merging into `into` (repeated occurrences). */
export function decodeMessage(type: MessageType, bytes: Uint8Array, path: string, depth = 0, into: Plain = {}): Plain {
  if (depth > MAX_NESTING_DEPTH) fail(path, `messages nested deeper than ${MAX_NESTING_DEPTH} levels`);
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    let where = path;
    try {
      const at = reader.pos;
      const tag = reader.uint32();
      const id = tag >>> 3;
      const wireType = tag & 7;
      if (id === 0) fail(path, `invalid field number 0 at offset ${at}`);
      const field = type.fieldsById[id];
      if (!field) {
        where = `${path} (field ${id})`;
        reader.skipType(wireType);
        continue;
      }
      where = `${path}.${field.name}`;
      readField(reader, field, wireType, into, where, depth);
    } catch (err) {
      if (err instanceof CodecError) throw err;
      throw new CodecError(`${where}: ${describe(err)}`, { cause: err });
    }
  }
  for (const field of type.fieldsArray) {
    if (field.required && !own(into, field.name)) fail(`${path}.${field.name}`, 'required field is missing');
  }
  return into;
}

function readField(reader: Reader, field: Field, wireType: number, into: Plain, path: string, depth: number): void {
  if (field.map) {
    if (wireType !== WIRE_LENGTH_DELIMITED) return void reader.skipType(wireType);
    const map = (own(into, field.name) ? into[field.name] : (into[field.name] = {})) as Plain;
    readMapEntry(reader.bytes(), field, map, path, depth);
    return;
  }
  const rt = field.resolvedType;
  if (wireType === field.wireType) {
    if (rt?.kind === 'message') {
      const bytes = reader.bytes();
      if (field.repeated) {
        const list = (into[field.name] ??= []) as unknown[];
        list.push(decodeMessage(rt, bytes, `${path}[${list.length}]`, depth + 1));
      } else {
        into[field.name] = decodeMessage(rt, bytes, path, depth + 1, (into[field.name] as Plain | undefined) ?? {});
      }
      return;
    }
    const value = readValue(reader, field, field.repeated ? `${path}[${((into[field.name] as unknown[] | undefined) ?? []).length}]` : path);
    if (value === undefined) return;
    if (field.repeated) ((into[field.name] ??= []) as unknown[]).push(value);
    else into[field.name] = value;
    return;
  }
  if (field.repeated && wireType === WIRE_LENGTH_DELIMITED && isPackable(field)) {
    const packed = protobuf.Reader.create(reader.bytes());
    const list: unknown[] = (into[field.name] as unknown[] | undefined) ?? [];
    while (packed.pos < packed.len) {
      const value = readValue(packed, field, `${path}[${list.length}]`);
      if (value !== undefined) list.push(value);
    }
    if (list.length > 0) into[field.name] = list;
    return;
  }
  reader.skipType(wireType);
}

/** One `{key = 1, value = 2}` entry of a map field; later entries replace earlier ones. */
function readMapEntry(bytes: Uint8Array, field: Field, map: Plain, path: string, depth: number): void {
  const keyType = field.keyType!;
  const keyWire = scalarWireType(keyType);
  const valueWire = field.wireType;
  const reader = protobuf.Reader.create(bytes);
  let key: unknown;
  let value: unknown;
  let valueBytes: Uint8Array | undefined;
  let unknownEnum = false;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const id = tag >>> 3;
    const wireType = tag & 7;
    if (id === 1 && wireType === keyWire) key = readScalar(reader, keyType);
    else if (id === 2 && wireType === valueWire) {
      if (field.resolvedType?.kind === 'message') valueBytes = reader.bytes();
      else {
        value = readValue(reader, field, path);
        unknownEnum = value === undefined;
      }
    } else reader.skipType(wireType);
  }
  const keyText = key === undefined ? (keyType === 'string' ? '' : keyType === 'bool' ? 'false' : '0') : String(key);
  const at = entryPath(path, keyText);
  const rt = field.resolvedType;
  if (rt?.kind === 'message') value = decodeMessage(rt, valueBytes ?? new Uint8Array(0), at, depth + 1);
  else if (unknownEnum) return;
  else if (value === undefined) value = rt?.kind === 'enum' ? rt.valuesById[0] ?? Object.keys(rt.values)[0] : scalarDefault(field.type);
  setEntry(map, keyText, value);
}
