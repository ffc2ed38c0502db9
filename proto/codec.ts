// Turns wire bytes (protobuf binary through binary-encode.ts and binary-decode.ts, or
// Mesos JSON here) into the plain shapes in proto/generated/*.ts and back,
// following the rules of stout/protobuf.hpp so that Mesos cannot tell us from itself:
//   - JSON keys are proto field names; enums are names; bytes are padded base64;
//   - every integer is a JSON number on output, 64-bit ones printed exactly from bigint;
//   - unset optional fields with an explicit, non-deprecated [default] are written;
//   - required fields are enforced in both directions;
//   - present-but-empty sub-messages survive (`subscribe: {}` encodes as `22 00`).
import { createRequire } from 'node:module';
import type { LosslessNumber } from 'lossless-json';
import { CodecError } from '../common/errors.js';
import { decodeMessage } from './binary-decode.js';
import { encodeMessage } from './binary-encode.js';
import { lookupMessage, type Field, type MessageType } from './schema.js';
import { integerRange, scalarDefault, scalarValue } from './scalar-types.js';
import { jsonNestingDepth, MAX_NESTING_DEPTH } from './nesting.js';
import { entryPath, fail, isWellFormed, own, setEntry, type Plain } from './plain.js';
import type * as mesos from './generated/mesos.js';
import type * as executor from './generated/executor.js';
import type * as agent from './generated/agent.js';

export type { mesos, executor, agent };

export const JSON_TYPE = 'application/json';
export const PROTOBUF_TYPE = 'application/x-protobuf';
export const RECORDIO_TYPE = 'application/recordio';
export type MessageContentType = typeof JSON_TYPE | typeof PROTOBUF_TYPE;

const isFloat = (type: string): boolean => scalarValue(type).kind === 'float';

// ---------------------------------------------------------------------------------------
// JSON -> plain

const BASE64_ALPHABET = /^[A-Za-z0-9+/]*$/;

function decodeBase64(text: string, path: string): Buffer {
  // Like stout: skip whitespace, stop at the first '=', refuse anything else.
  const compact = text.replace(/\s+/g, '');
  const eq = compact.indexOf('=');
  const body = eq === -1 ? compact : compact.slice(0, eq);
  if (!BASE64_ALPHABET.test(body)) fail(path, 'invalid base64');
  return Buffer.from(body, 'base64');
}

function isLossless(value: unknown): value is LosslessNumber {
  return typeof value === 'object' && value !== null && (value as { isLosslessNumber?: boolean }).isLosslessNumber === true;
}

function jsonNumberText(value: unknown, path: string): string {
  if (typeof value === 'number') return String(value);
  if (isLossless(value)) return value.value;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/.test(value)) return value.trim();
  return fail(path, `expected a number, got ${JSON.stringify(value)}`);
}

function jsonToPlainValue(field: Field, value: unknown, path: string): unknown {
  const rt = field.resolvedType;
  if (rt?.kind === 'enum') {
    if (typeof value === 'string') return rt.values[value] === undefined ? undefined : value;
    if (typeof value === 'number' || isLossless(value)) {
      const text = jsonNumberText(value, path);
      return rt.valuesById[Number(text)] ?? (field.required ? fail(path, `unknown value ${text}`) : undefined);
    }
    return fail(path, `expected an enum name, got ${JSON.stringify(value)}`);
  }
  if (rt?.kind === 'message') {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || isLossless(value)) fail(path, 'expected an object');
    return jsonToPlain(rt, value as Plain, path);
  }
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') fail(path, `expected a string, got ${JSON.stringify(value)}`);
      // A lone surrogate (`"\ud800"`) has no UTF-8 form: protobuf would send U+FFFD instead.
      if (!isWellFormed(value)) fail(path, 'string holds a lone UTF-16 surrogate (not valid Unicode)');
      return value;
    case 'bytes':
      if (typeof value !== 'string') fail(path, 'expected a base64 string');
      return decodeBase64(value, path);
    case 'bool':
      if (value === true || value === 'true') return true;
      if (value === false || value === 'false') return false;
      return fail(path, `expected a boolean, got ${JSON.stringify(value)}`);
  }
  const scalar = scalarValue(field.type);
  if (scalar.kind === 'float') {
    if (value === 'Infinity') return Infinity;
    if (value === '-Infinity') return -Infinity;
    if (value === 'NaN') return NaN;
    return Number(jsonNumberText(value, path));
  }
  const text = jsonNumberText(value, path);
  if (!/^-?\d+$/.test(text)) fail(path, `expected an integer, got ${text}`);
  const big = BigInt(text);
  if (scalar.kind !== 'integer') return fail(path, `unsupported scalar type ${field.type}`);
  const [lo, hi] = integerRange(scalar);
  if (big < lo || big > hi) fail(path, `${text} is out of range for ${field.type}`);
  return scalar.bits === 64 ? big : Number(big);
}

function jsonToPlain(type: MessageType, json: Plain, path: string): Plain {
  const out: Plain = {};
  for (const field of type.fieldsArray) {
    const value = own(json, field.name) ? json[field.name] : undefined;
    const fpath = `${path}.${field.name}`;
    if (value === undefined || value === null) {
      if (field.required) fail(fpath, 'required field is missing');
      continue;
    }
    if (field.map) {
      if (typeof value !== 'object' || Array.isArray(value)) fail(fpath, 'expected an object');
      const m: Plain = {};
      for (const [k, v] of Object.entries(value as Plain)) {
        if (!isWellFormed(k)) fail(fpath, 'map key holds a lone UTF-16 surrogate (not valid Unicode)');
        const entry = jsonToPlainValue(field, v, entryPath(fpath, k));
        if (entry !== undefined) setEntry(m, k, entry);
      }
      // An empty map is no map, as in binary (where it has no bytes at all).
      if (Object.keys(m).length > 0) out[field.name] = m;
    } else if (field.repeated) {
      if (!Array.isArray(value)) fail(fpath, 'expected an array');
      const arr = value.map((v, i) => jsonToPlainValue(field, v, `${fpath}[${i}]`)).filter((v) => v !== undefined);
      if (arr.length) out[field.name] = arr;
    } else {
      const v = jsonToPlainValue(field, value, fpath);
      if (v === undefined && field.required) fail(fpath, `unknown value ${JSON.stringify(value)}`);
      if (v !== undefined) out[field.name] = v;
    }
  }
  return out;
}

// Integers beyond 2^53 lose precision in JSON.parse; parse losslessly only when the text
// holds a digit run long enough to be one (rare: keeps the common path on V8's parser).
const LONG_DIGITS = /\d{16,}/;

// lossless-json loads on the first such text (its CommonJS build, so synchronously): an
// executor speaking protobuf never needs it before SUBSCRIBE.
const requireCjs = createRequire(import.meta.url);
let lossless: typeof import('lossless-json') | undefined;

function parseJsonText(text: string): unknown {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  const { parse: parseLossless, isSafeNumber } = (lossless ??= requireCjs('lossless-json') as typeof import('lossless-json'));
  return parseLossless(text, null, (raw: string) => (isSafeNumber(raw) ? Number(raw) : { isLosslessNumber: true, value: raw }));
}

// ---------------------------------------------------------------------------------------
// plain -> JSON text

function formatDouble(n: number): string {
  if (Number.isNaN(n)) return '"NaN"';
  if (n === Infinity) return '"Infinity"';
  if (n === -Infinity) return '"-Infinity"';
  // rapidjson (Mesos) writes whole doubles with a trailing ".0".
  return Number.isInteger(n) && Math.abs(n) < 1e21 ? `${n}.0` : String(n);
}

function scalarToJson(field: Field, value: unknown, path: string): string {
  const rt = field.resolvedType;
  if (rt?.kind === 'enum') {
    if (typeof value !== 'string' || rt.values[value] === undefined) fail(path, `unknown ${rt.name} value ${JSON.stringify(value)}`);
    return JSON.stringify(value);
  }
  if (rt?.kind === 'message') {
    if (typeof value !== 'object' || value === null) fail(path, 'expected a message');
    return plainToJson(rt, value as Plain, path);
  }
  switch (field.type) {
    case 'string':
      return JSON.stringify(String(value));
    case 'bytes':
      if (!(value instanceof Uint8Array)) fail(path, 'expected a Buffer');
      return `"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"`;
    case 'bool':
      return value ? 'true' : 'false';
  }
  if (isFloat(field.type)) return formatDouble(Number(value));
  return typeof value === 'bigint' ? value.toString() : String(Math.trunc(Number(value)));
}

function defaultToJson(field: Field): string {
  const d = field.default;
  if (field.resolvedType?.kind === 'enum') return JSON.stringify(d);
  if (isFloat(field.type)) return formatDouble(Number(d));
  if (field.type === 'string') return JSON.stringify(String(d));
  if (field.type === 'bool') return d === true || d === 'true' ? 'true' : 'false';
  return String(d);
}

function hasJsonDefault(field: Field): boolean {
  return !field.repeated && field.default !== undefined && !field.deprecated;
}

function plainToJson(type: MessageType, plain: Plain, path: string): string {
  const parts: string[] = [];
  for (const field of type.fieldsArray) {
    const value = plain[field.name];
    const fpath = `${path}.${field.name}`;
    const key = JSON.stringify(field.name);
    if (value === undefined || value === null) {
      if (field.required) fail(fpath, 'required field is missing');
      if (hasJsonDefault(field)) parts.push(`${key}:${defaultToJson(field)}`);
      continue;
    }
    if (field.map) {
      const entries = Object.entries(value as Plain);
      if (entries.length === 0) continue;
      parts.push(`${key}:{${entries.map(([k, v]) => `${JSON.stringify(k)}:${scalarToJson(field, v, `${fpath}[${k}]`)}`).join(',')}}`);
    } else if (field.repeated) {
      const arr = value as unknown[];
      if (arr.length === 0) continue;
      parts.push(`${key}:[${arr.map((v, i) => scalarToJson(field, v, `${fpath}[${i}]`)).join(',')}]`);
    } else {
      parts.push(`${key}:${scalarToJson(field, value, fpath)}`);
    }
  }
  return `{${parts.join(',')}}`;
}

// ---------------------------------------------------------------------------------------

/** Encoder and decoder for one message type, in both Mesos content types. */
export class Codec<T> {
  readonly #type: MessageType;
  readonly name: string;

  constructor(fullName: string) {
    this.#type = lookupMessage(fullName);
    this.name = fullName;
  }

  encode(message: T, contentType: MessageContentType): Buffer {
    return contentType === JSON_TYPE ? this.encodeJson(message) : this.encodeBinary(message);
  }

  decode(data: Uint8Array, contentType: MessageContentType): T {
    return contentType === JSON_TYPE ? this.decodeJson(data) : this.decodeBinary(data);
  }

  encodeBinary(message: T): Buffer {
    return encodeMessage(this.#type, message as Plain, this.#type.name);
  }

  decodeBinary(data: Uint8Array): T {
    return decodeMessage(this.#type, data, this.#type.name) as T;
  }

  encodeJson(message: T): Buffer {
    return Buffer.from(this.toJsonText(message), 'utf8');
  }

  toJsonText(message: T): string {
    return plainToJson(this.#type, message as Plain, this.#type.name);
  }

  decodeJson(data: Uint8Array | string): T {
    const text = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
    if (jsonNestingDepth(text) > MAX_NESTING_DEPTH) throw new CodecError(`${this.#type.name}: JSON nested deeper than ${MAX_NESTING_DEPTH} levels`);
    let parsed: unknown;
    try {
      parsed = parseJsonText(text);
    } catch (err) {
      throw new CodecError(`${this.#type.name}: invalid JSON: ${(err as Error).message}`, { cause: err });
    }
    return this.fromJsonValue(parsed);
  }

  /** Converts an already parsed JSON value (e.g. an example file) into the message. */
  fromJsonValue(value: unknown): T {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CodecError(`${this.#type.name}: expected a JSON object`);
    return jsonToPlain(this.#type, value as Plain, this.#type.name) as T;
  }

  /** The value Mesos assumes for an unset field (its explicit [default], else proto2's zero value). */
  fieldDefault<K extends keyof T & string>(field: K): NonNullable<T[K]> {
    const f = this.#type.fields[field];
    if (!f) throw new CodecError(`${this.#type.name} has no field ${field}`);
    if (f.default !== undefined) return f.default as NonNullable<T[K]>;
    if (f.resolvedType?.kind === 'enum') return Object.keys(f.resolvedType.values)[0] as NonNullable<T[K]>;
    if (f.resolvedType) throw new CodecError(`${this.#type.name}.${field} is a message: it has no default`);
    return scalarDefault(f.type) as NonNullable<T[K]>;
  }
}

export const codecs = {
  executor: {
    Event: new Codec<executor.Event>('mesos.v1.executor.Event'),
    Call: new Codec<executor.Call>('mesos.v1.executor.Call'),
  },
  agent: {
    Call: new Codec<agent.Call>('mesos.v1.agent.Call'),
    Response: new Codec<agent.Response>('mesos.v1.agent.Response'),
    ProcessIO: new Codec<agent.ProcessIO>('mesos.v1.agent.ProcessIO'),
  },
  mesos: {
    TaskInfo: new Codec<mesos.TaskInfo>('mesos.v1.TaskInfo'),
    TaskGroupInfo: new Codec<mesos.TaskGroupInfo>('mesos.v1.TaskGroupInfo'),
    TaskStatus: new Codec<mesos.TaskStatus>('mesos.v1.TaskStatus'),
    ExecutorInfo: new Codec<mesos.ExecutorInfo>('mesos.v1.ExecutorInfo'),
    FrameworkInfo: new Codec<mesos.FrameworkInfo>('mesos.v1.FrameworkInfo'),
    HealthCheck: new Codec<mesos.HealthCheck>('mesos.v1.HealthCheck'),
    HTTPCheckInfo: new Codec<mesos.HealthCheck.HTTPCheckInfo>('mesos.v1.HealthCheck.HTTPCheckInfo'),
    TCPCheckInfo: new Codec<mesos.HealthCheck.TCPCheckInfo>('mesos.v1.HealthCheck.TCPCheckInfo'),
    CheckInfo: new Codec<mesos.CheckInfo>('mesos.v1.CheckInfo'),
    CommandInfo: new Codec<mesos.CommandInfo>('mesos.v1.CommandInfo'),
  },
} as const;

// ---------------------------------------------------------------------------------------
// The schema as plain data, for code outside proto/: the
// strict rules for files a person writes (cli/strict-json.ts) and the fuzz suites'
// generators of valid messages (test/fuzz/messages.ts).

export type FieldSchema = { name: string; id: number; required: boolean; repeated: boolean; map: boolean } & (
  | { kind: 'enum'; enumType: string; values: readonly string[]; ids: readonly number[] }
  | { kind: 'message'; messageType: string }
  | { kind: 'scalar'; scalarType: string }
);

export interface MessageSchema {
  /** Short name, the first segment of error paths ("TaskInfo"). */
  name: string;
  fields: ReadonlyMap<string, FieldSchema>;
}

const schemas = new Map<string, MessageSchema>();

/** The fields of a message type by full name ("mesos.v1.TaskInfo"); throws for an unknown type. */
export function messageSchema(fullName: string): MessageSchema {
  const cached = schemas.get(fullName);
  if (cached) return cached;
  const type = lookupMessage(fullName);
  const fields = new Map<string, FieldSchema>();
  for (const f of type.fieldsArray) {
    const base = { name: f.name, id: f.id, required: f.required, repeated: f.repeated, map: f.map };
    const rt = f.resolvedType;
    if (rt?.kind === 'enum') fields.set(f.name, { ...base, kind: 'enum', enumType: rt.name, values: Object.keys(rt.values), ids: Object.values(rt.values) });
    else if (rt?.kind === 'message') fields.set(f.name, { ...base, kind: 'message', messageType: rt.fullName });
    else fields.set(f.name, { ...base, kind: 'scalar', scalarType: f.type });
  }
  const schema = { name: type.name, fields };
  schemas.set(fullName, schema);
  return schema;
}

/**
 * The one wording for an enum name that is not in the enum, wherever a person wrote it:
 *   TaskInfo.health_check.type: unknown enum value "HTPP" (expected one of COMMAND, HTTP, TCP)
 * Mesos' UNKNOWN = 0 placeholders are never what the person meant, so they are not offered.
 */
export function unknownEnumMessage(path: string, value: unknown, values: readonly string[]): string {
  const expected = values.filter((v) => v !== 'UNKNOWN');
  return `${path}: unknown enum value ${JSON.stringify(value)} (expected one of ${expected.join(', ')})`;
}
