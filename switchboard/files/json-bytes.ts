// The agent writes file contents (and file names) into its JSON as the raw bytes, escaped
// the way rapidjson escapes (`"`, `\`, control characters), never base64 and never checked
// for UTF-8 (src/files/files.cpp, stout/jsonify.hpp). Clients that want the bytes back
// decode the body as latin1 before JSON.parse (see client.ts).

const HEX = '0123456789ABCDEF';
const SHORT_ESCAPES: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };

/** `bytes` as a JSON string literal (quotes included), bytes >= 0x20 other than `"` and `\` kept raw. */
export function jsonStringOfBytes(bytes: Buffer): Buffer {
  let escapes = 0;
  for (const b of bytes) if (b < 0x20 || b === 0x22 || b === 0x5c) escapes++;
  if (escapes === 0) return Buffer.concat([QUOTE, bytes, QUOTE]);
  // At most 6 bytes per escaped byte (\u00XX): one exact-size allocation.
  const out = Buffer.allocUnsafe(bytes.length + escapes * 5 + 2);
  let n = 0;
  out[n++] = 0x22;
  for (const b of bytes) {
    if (b >= 0x20 && b !== 0x22 && b !== 0x5c) {
      out[n++] = b;
      continue;
    }
    const short = SHORT_ESCAPES[b];
    n += out.write(short ?? `\\u00${HEX[b >> 4]}${HEX[b & 15]}`, n, 'latin1');
  }
  out[n++] = 0x22;
  return out.subarray(0, n);
}

const QUOTE = Buffer.from('"');
