// Helpers shared by the codec's directions: the plain shapes decoded messages take, and
// the path-naming failure every decode and encode error goes through.
import { CodecError } from '../common/errors.js';

export type Plain = Record<string, unknown>;

export function own(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** Throws the CodecError for the field at `path` (`TaskInfo.limits[cpus].value`). */
export function fail(path: string, what: string): never {
  throw new CodecError(`${path}: ${what}`);
}

// A peer picks map keys; a megabyte key must not make a megabyte error message.
const MAX_KEY_IN_PATH = 64;

export function entryPath(path: string, key: string): string {
  return `${path}[${key.length > MAX_KEY_IN_PATH ? `${key.slice(0, MAX_KEY_IN_PATH)}…` : key}]`;
}

/**
 * Sets a map entry. Plain assignment would turn the key `__proto__` into a prototype
 * change and lose the entry; a map field's keys are data, whatever they spell.
 */
export function setEntry(map: Plain, key: string, value: unknown): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

// In a `u` regexp a surrogate pair is one code point, so this matches lone halves only.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** False for a string with a lone UTF-16 surrogate, which has no UTF-8 form. */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
