// The nesting bound for decoded messages. protobuf's parsers refuse input nested deeper
// than their recursion limit (100 by default) rather than recurse without end; we apply
// the same number to protobuf sub-messages and to JSON objects and arrays.

export const MAX_NESTING_DEPTH = 100;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * The deepest object/array nesting in JSON text, counted in one linear pass before any
 * parser runs (V8's JSON.parse and lossless-json both recurse, and a few thousand levels
 * overflow the stack). Stops counting once `limit` is passed. Brackets inside strings do
 * not count; malformed text is left for the parser to refuse.
 */
export function jsonNestingDepth(text: string, limit = MAX_NESTING_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return deepest;
}
