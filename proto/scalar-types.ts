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

/** The values an integer scalar holds, [min, max]. */
export function integerRange(value: { bits: 32 | 64; signed: boolean }): readonly [bigint, bigint] {
  const bits = BigInt(value.bits);
  return value.signed ? [-(2n ** (bits - 1n)), 2n ** (bits - 1n) - 1n] : [0n, 2n ** bits - 1n];
}

export const WIRE_VARINT = 0;
export const WIRE_64BIT = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_32BIT = 5;

const WIRE_TYPES: Readonly<Record<string, number>> = {
  double: WIRE_64BIT, float: WIRE_32BIT, int32: WIRE_VARINT, uint32: WIRE_VARINT, sint32: WIRE_VARINT,
  fixed32: WIRE_32BIT, sfixed32: WIRE_32BIT, int64: WIRE_VARINT, uint64: WIRE_VARINT, sint64: WIRE_VARINT,
  fixed64: WIRE_64BIT, sfixed64: WIRE_64BIT, bool: WIRE_VARINT, string: WIRE_LENGTH_DELIMITED, bytes: WIRE_LENGTH_DELIMITED,
};

/** The wire type a scalar of protobuf type `type` is written with. */
export function scalarWireType(type: string): number {
  const wire = WIRE_TYPES[type];
  if (wire === undefined) throw new Error(`unsupported protobuf scalar type ${type}`);
  return wire;
}

/** Scalars protobuf may pack in a repeated field (everything but strings and bytes). */
export function isPackableScalar(type: string): boolean {
  return scalarWireType(type) !== WIRE_LENGTH_DELIMITED;
}

/** proto2's value for an unset scalar of type `type`: what Mesos assumes without a [default]. */
export function scalarDefault(type: string): unknown {
  const value = scalarValue(type);
  switch (value.kind) {
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    case 'bool':
      return false;
    case 'integer':
      return value.bits === 64 ? 0n : 0;
    case 'float':
      return 0;
  }
}
