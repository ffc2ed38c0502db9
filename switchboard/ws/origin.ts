// Cross-site WebSocket hijacking: a browser sends cookies and opens sockets to any site a
// page names, so a page elsewhere could open a shell here. Browsers always send Origin on a
// WebSocket handshake; the gateway accepts it only when it names this server (the Host the
// browser connected to) or an origin the operator listed. No Origin at all is a
// non-browser client (the CLI, curl, tests), which no page can drive.

/** `scheme://host[:port]` as browsers serialize it; undefined for anything else (`null`, paths). */
export function normalizeOrigin(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  // Browsers send it lowercase and without a path; anything else is not one.
  if (url.origin === 'null' || value.replace(/\/$/, '').toLowerCase() !== url.origin) return undefined;
  return url.origin;
}

export type OriginVerdict = { ok: true } | { ok: false; reason: string };

export function checkOrigin(origin: string | undefined, host: string | undefined, allowed: readonly string[]): OriginVerdict {
  if (origin === undefined) return { ok: true };
  const normalized = normalizeOrigin(origin);
  if (normalized === undefined) return { ok: false, reason: `Origin '${origin}' is not an origin this switchboard accepts` };
  if (allowed.includes(normalized)) return { ok: true };
  if (host !== undefined) {
    const scheme = new URL(normalized).protocol;
    let hostOfRequest: string | undefined;
    try {
      // Parsed with the origin's scheme, so `example.com:443` and `https://example.com` agree.
      hostOfRequest = new URL(`${scheme}//${host}`).host;
    } catch {
      hostOfRequest = undefined;
    }
    if (hostOfRequest !== undefined && hostOfRequest === new URL(normalized).host) return { ok: true };
  }
  return { ok: false, reason: `Origin '${origin}' is not this switchboard (${host ?? 'no Host'}); a page from another site may not open a terminal here (list it in MESOS_SIDECAR_SWITCHBOARD_ALLOWED_ORIGINS to allow it)` };
}
