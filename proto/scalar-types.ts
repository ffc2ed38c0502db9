// The protobuf scalar types by the values they hold. The binary decoder and the fuzz
// generators branch on this (which reader call, which range), never on the type names.

export type ScalarValue =
  | { kind: 'integer'; bits: 32 | 64; signed: boolean }
  | { kind: 'float'; bits: 32 | 64 }
  | { kind: 'bool' }
  | { kind: 'string' }
  | { kind: 'bytes' };

const integer = (bits: 32 | 64, signed: boolean): ScalarValue => ({ kind: 'integer', bits, signed });

const SCALAR_TYPES: ReadonlyMap<string, ScalarValue> = new Map([
  ...(['int32', 'sint32', 'sfixed32'] as const).map((t) => [t, integer(32, true)] as const),
  ...(['uint32', 'fixed32'] as const).map((t) => [t, integer(32, false)] as const),
  ...(['int64', 'sint64', 'sfixed64'] as const).map((t) => [t, integer(64, true)] as const),
  ...(['uint64', 'fixed64'] as const).map((t) => [t, integer(64, false)] as const),
  ['double', { kind: 'float', bits: 64 }],
  ['float', { kind: 'float', bits: 32 }],
  ['bool', { kind: 'bool' }],
  ['string', { kind: 'string' }],
  ['bytes', { kind: 'bytes' }],
]);

/** What a scalar of protobuf type `type` holds; throws for a name that is no scalar type. */
export function scalarValue(type: string): ScalarValue {
  const value = SCALAR_TYPES.get(type);
  if (!value) throw new Error(`unsupported protobuf scalar type ${type}`);
  return value;
}
