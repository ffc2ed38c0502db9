// fast-check generators of VALID messages, built from the schema itself (every field of
// every type, required ones always present, optional ones more rarely the deeper they
// sit), and of the hand-made inputs that the schema alone would rarely produce.
import fc from 'fast-check';
import { messageSchema, type FieldSchema } from '../../proto/codec.js';

import type { Plain } from '../../proto/plain.js';
import { scalarValue } from '../../proto/scalar-types.js';

// Below this depth only required fields are generated: it keeps a TaskInfo (whose closure
// reaches CSI volumes and Docker parameters) to a few hundred bytes on average.
const OPTIONAL_DEPTH = 5;

// Valid Unicode only: a lone surrogate cannot be sent as UTF-8 and would not round-trip.
const STRING = fc.oneof(fc.string({ maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 4 }));

function scalar(type: string): fc.Arbitrary<unknown> {
  const value = scalarValue(type);
  switch (value.kind) {
    case 'integer': {
      const min = value.signed ? -(2n ** BigInt(value.bits - 1)) : 0n;
      const max = (value.signed ? 2n ** BigInt(value.bits - 1) : 2n ** BigInt(value.bits)) - 1n;
      // 64-bit integers are bigints in plain shapes, 32-bit ones numbers.
      return value.bits === 64 ? fc.bigInt({ min, max }) : fc.integer({ min: Number(min), max: Number(max) });
    }
    case 'float':
      return value.bits === 64 ? fc.double() : fc.float();
    case 'bool':
      return fc.boolean();
    case 'string':
      return STRING;
    case 'bytes':
      return fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a));
  }
}

const cache = new Map<string, fc.Arbitrary<Plain>>();

function valueOf(field: FieldSchema, depth: number): fc.Arbitrary<unknown> {
  if (field.kind === 'message') return validMessage(field.messageType, depth + 1);
  if (field.kind === 'enum') return fc.constantFrom(...field.values);
  return scalar(field.scalarType);
}

/** Absent (undefined) most of the time, more so deeper down. */
function sometimes<T>(arb: fc.Arbitrary<T>, depth: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: 1 + depth * 2 }, { arbitrary: arb, weight: 1 });
}

/** A valid plain `fullName` message (what the codec accepts for encoding). */
export function validMessage(fullName: string, depth = 0): fc.Arbitrary<Plain> {
  const key = `${fullName}@${Math.min(depth, OPTIONAL_DEPTH)}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of messageSchema(fullName).fields.values()) {
    if (field.required) {
      model[field.name] = valueOf(field, depth);
      continue;
    }
    if (depth >= OPTIONAL_DEPTH) continue;
    const value = valueOf(field, depth);
    // Empty repeated fields and maps decode as absent: generate them non-empty or not at all.
    const arb =
      field.map
        ? fc.dictionary(fc.string({ maxLength: 6 }), value, { minKeys: 1, maxKeys: 2, noNullPrototype: true })
        : field.repeated
          ? fc.array(value, { minLength: 1, maxLength: 2 })
          : value;
    model[field.name] = sometimes(arb, depth);
  }
  const arb = fc.record(model).map((r) => {
    const out: Plain = {};
    for (const [k, v] of Object.entries(r)) if (v !== undefined) out[k] = v;
    return out;
  });
  cache.set(key, arb);
  return arb;
}
