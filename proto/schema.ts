// The messages and enums of our .proto subset as the codec walks them, read from
// generated/schema.json, where generate.mjs wrote what protobufjs resolved at build time.
// Building protobufjs' own reflection at start (Root.fromJSON, which also generates a
// constructor per type) and loading its full build cost the executor's cold start about
// 50 ms; this is a table read.
import schemaJson from './generated/schema.json' with { type: 'json' };
import { WIRE_LENGTH_DELIMITED, WIRE_VARINT, scalarWireType } from './scalar-types.js';

export interface EnumType {
  readonly kind: 'enum';
  readonly name: string;
  readonly fullName: string;
  /** `Value.Type` for an enum nested in a message, not just `Type`: nested enums share short names. */
  readonly nestedName: string;
  /** Name -> number, in declaration order. */
  readonly values: Readonly<Record<string, number>>;
  /** Number -> the first name declared with it. */
  readonly valuesById: Readonly<Record<number, string>>;
}

export interface MessageType {
  readonly kind: 'message';
  readonly name: string;
  readonly fullName: string;
  /** Declaration order: the order of Mesos' JSON. */
  readonly fieldsArray: readonly Field[];
  /** Field number order: the order of protobuf binary. */
  readonly fieldsByNumber: readonly Field[];
  readonly fieldsById: Readonly<Record<number, Field>>;
  readonly fields: Readonly<Record<string, Field>>;
}

export interface Field {
  readonly name: string;
  readonly id: number;
  /** A scalar type name, or the full name of resolvedType. */
  readonly type: string;
  readonly required: boolean;
  readonly repeated: boolean;
  readonly map: boolean;
  /** Of a map field. */
  readonly keyType: string | undefined;
  readonly packed: boolean;
  /** The explicit `[default = ...]` (an enum's by name). */
  readonly default: unknown;
  readonly deprecated: boolean;
  /** undefined for a scalar. */
  readonly resolvedType: MessageType | EnumType | undefined;
  /** The wire type of one value (a map entry's value). */
  readonly wireType: number;
}

interface FieldJson {
  name: string;
  id: number;
  type: string;
  ref?: 'message' | 'enum';
  rule?: 'required' | 'repeated';
  keyType?: string;
  default?: unknown;
  deprecated?: boolean;
  packed?: boolean;
}

const json = schemaJson as { messages: Record<string, { fields: FieldJson[] }>; enums: Record<string, Record<string, number>> };

const shortName = (fullName: string): string => fullName.slice(fullName.lastIndexOf('.') + 1);

const enums = new Map<string, EnumType>();
for (const [fullName, values] of Object.entries(json.enums)) {
  const valuesById: Record<number, string> = {};
  for (const [name, id] of Object.entries(values)) valuesById[id] ??= name;
  const parent = fullName.slice(0, fullName.lastIndexOf('.'));
  const nestedName = json.messages[parent] ? `${shortName(parent)}.${shortName(fullName)}` : shortName(fullName);
  enums.set(fullName, { kind: 'enum', name: shortName(fullName), fullName, nestedName, values, valuesById });
}

// Messages refer to each other (and to themselves), so each is made on first use and
// cached before its fields' types are looked up.
const messages = new Map<string, MessageType>();

function buildMessage(fullName: string): MessageType {
  const spec = json.messages[fullName];
  if (!spec) throw new Error(`no message type ${fullName} in the schema`);
  const fieldsArray: Field[] = [];
  const fieldsById: Record<number, Field> = {};
  const fields: Record<string, Field> = {};
  const type: MessageType = { kind: 'message', name: shortName(fullName), fullName, fieldsArray, fieldsByNumber: [], fieldsById, fields };
  messages.set(fullName, type);
  for (const f of spec.fields) {
    const resolvedType = f.ref === 'message' ? lookupMessage(f.type) : f.ref === 'enum' ? lookupEnum(f.type) : undefined;
    const field: Field = {
      name: f.name,
      id: f.id,
      type: f.type,
      required: f.rule === 'required',
      repeated: f.rule === 'repeated',
      map: f.keyType !== undefined,
      keyType: f.keyType,
      packed: f.packed === true,
      default: f.default,
      deprecated: f.deprecated === true,
      resolvedType,
      wireType: resolvedType?.kind === 'message' ? WIRE_LENGTH_DELIMITED : resolvedType ? WIRE_VARINT : scalarWireType(f.type),
    };
    fieldsArray.push(field);
    fieldsById[f.id] = field;
    fields[f.name] = field;
  }
  (type.fieldsByNumber as Field[]).push(...[...fieldsArray].sort((a, b) => a.id - b.id));
  return type;
}

/** A message type by full name ("mesos.v1.TaskInfo"); throws for an unknown one. */
export function lookupMessage(fullName: string): MessageType {
  return messages.get(fullName) ?? buildMessage(fullName);
}

export function lookupEnum(fullName: string): EnumType {
  const e = enums.get(fullName);
  if (!e) throw new Error(`no enum type ${fullName} in the schema`);
  return e;
}
