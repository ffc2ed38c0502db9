// Who is calling: a bearer token or Mesos-style basic credentials (principal/secret),
// compared in constant time. Secrets never reach a log line or an error message.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SwitchboardConfigError, unauthorized } from './errors.js';

export interface BearerToken {
  principal: string;
  token: string;
}

export interface Credential {
  principal: string;
  secret: string;
}

export interface AuthConfig {
  tokens?: BearerToken[];
  credentials?: Credential[];
  realm?: string;
}

export const DEFAULT_REALM = 'mesos-sidecar';

// Hashing first gives equal-length inputs to timingSafeEqual whatever the lengths were.
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export function hasAnyCredential(auth: AuthConfig): boolean {
  return (auth.tokens?.length ?? 0) + (auth.credentials?.length ?? 0) > 0;
}

/**
 * Refuses empty tokens, secrets and principals, however the configuration was built: an
 * empty token would let `Authorization: Bearer` with no value in.
 */
export function checkAuthConfig(auth: AuthConfig): void {
  for (const [i, t] of (auth.tokens ?? []).entries()) {
    if (!t.principal || !t.token) throw new SwitchboardConfigError('auth', `tokens[${i}] (principal '${t.principal}') has an empty ${t.principal ? 'token' : 'principal'}`);
  }
  for (const [i, c] of (auth.credentials ?? []).entries()) {
    if (!c.principal || !c.secret) throw new SwitchboardConfigError('auth', `credentials[${i}] (principal '${c.principal}') has an empty ${c.principal ? 'secret' : 'principal'}`);
  }
}

/** The authenticated principal, or a 401 carrying the WWW-Authenticate challenges. */
export function authenticate(headers: IncomingHttpHeaders, auth: AuthConfig): string {
  const realm = auth.realm ?? DEFAULT_REALM;
  const challenges: string[] = [];
  if (auth.tokens?.length) challenges.push(`Bearer realm="${realm}"`);
  if (auth.credentials?.length) challenges.push(`Basic realm="${realm}"`);
  const header = headers.authorization;
  if (!header) throw unauthorized(challenges);
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  const value = space === -1 ? '' : header.slice(space + 1).trim();
  let principal: string | undefined;
  if (value === '') {
    // no credential at all after the scheme: nothing to compare, whatever is configured
  } else if (scheme.toLowerCase() === 'bearer') {
    // Every configured token is compared, so timing does not tell which one matched.
    for (const t of auth.tokens ?? []) if (safeEqual(value, t.token) && principal === undefined) principal = t.principal;
  } else if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // An empty principal or secret is never a credential (checkAuthConfig refuses them).
    if (colon > 0 && colon < decoded.length - 1) {
      const name = decoded.slice(0, colon);
      const secret = decoded.slice(colon + 1);
      for (const c of auth.credentials ?? []) {
        const ok = safeEqual(name, c.principal) && safeEqual(secret, c.secret);
        if (ok && principal === undefined) principal = c.principal;
      }
    }
  }
  if (principal === undefined) throw unauthorized(challenges);
  return principal;
}
