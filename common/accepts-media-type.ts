// libprocess' `Request::_acceptsMediaType` (3rdparty/libprocess/src/http.cpp), exact to its
// tokenizing, so the agent emulator and the switchboard refuse what a Mesos agent refuses.

/** stout's `strings::tokenize`: split at any of `delims`, dropping empty pieces. */
function tokenize(s: string, delims: RegExp): string[] {
  return s.split(delims).filter((piece) => piece.length > 0);
}

// boost::lexical_cast<double>: an optionally signed decimal, or inf/infinity/nan. stout's
// hexadecimal fallback never yields a double on Linux (the stream stops at the 'x').
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INF_NAN = /^[+-]?(inf|infinity|nan)$/i;

function numify(text: string): number | undefined {
  if (DECIMAL.test(text)) return Number(text);
  if (INF_NAN.test(text)) return /nan/i.test(text) ? Number.NaN : text.startsWith('-') ? -Infinity : Infinity;
  return undefined;
}

/**
 * Whether the header `field` (undefined: absent) accepts `mediaType`. The first range
 * matching `type/subtype`, else `type/*`, else `* /*` decides: it accepts unless it has
 * exactly one well-formed `q` whose value is not a number above 0. Media types compare
 * case-insensitively; an absent header accepts everything, an empty one nothing.
 */
export function acceptsMediaType(field: string | undefined, mediaType: string): boolean {
  const parts = tokenize(mediaType, /\//);
  if (parts.length !== 2) return false;
  if (field === undefined) return true;
  const cleaned = field.replace(/[ \t\n]/g, '');
  const ranges = tokenize(cleaned, /,/);
  for (const candidate of [mediaType, `${parts[0]}/*`, '*/*']) {
    const wanted = candidate.toLowerCase();
    for (const range of ranges) {
      const tokens = tokenize(range, /;/);
      if (tokens[0]?.toLowerCase() !== wanted) continue;
      // strings::pairs(range, ";", "="): only `key=value` tokens with exactly two pieces count.
      const q: string[] = [];
      for (const token of tokens) {
        const pair = tokenize(token, /=/);
        if (pair.length === 2 && pair[0] === 'q') q.push(pair[1]!);
      }
      if (q.length !== 1) return true;
      const value = numify(q[0]!);
      return value !== undefined && value > 0;
    }
  }
  return false;
}
