// One HTTP GET, in-process, the way Mesos' `curl -s -S -L -k -o /dev/null` answers it
// (shared/spec/checks.md §4): any certificate is accepted, the body is read to the end and
// thrown away (never buffered), the final status code is the result. Differences, on
// purpose: redirects are followed only to the same host and port (curl -L follows any,
// which lets a task point the agent at arbitrary hosts), and the caller's AbortSignal is the
// hard deadline that tears the socket down wherever the exchange is.
import { Agent, request, errors as undiciErrors } from 'undici';
import type { Clock } from '../common/clock.js';
import type { HttpSpec } from './definitions.js';
import { probeError, type ProbeOutcome } from './outcome.js';

/** curl's default --max-redirs. */
export const MAX_REDIRECTS = 50;

export interface HttpProbeOptions {
  signal: AbortSignal;
  /** Keep up to this many bytes of the final body (readiness `preserveLastResponse`). */
  captureBodyBytes?: number;
  /** Marathon readiness: the headers must arrive within this long (0/undefined = no limit). */
  headersTimeoutMs?: number;
  clock?: Clock;
}

// One dispatcher for every probe: connections are not reused (`reset: true` below), as
// curl opens a fresh one per probe, but the TLS and connector setup is shared.
const dispatcher = new Agent({
  connect: { rejectUnauthorized: false },
  headersTimeout: 0,
  bodyTimeout: 0,
  keepAliveTimeout: 1,
});

export function probeUrl(spec: Pick<HttpSpec, 'scheme' | 'host' | 'port' | 'path'>): string {
  const host = spec.host.includes(':') ? `[${spec.host}]` : spec.host;
  return `${spec.scheme}://${host}:${spec.port}${spec.path}`;
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', '[::1]', 'localhost']);

function effectivePort(u: URL): string {
  return u.port || (u.protocol === 'https:' ? '443' : '80');
}

/** Same host: identical authority, treating the loopback names as one host. */
function sameHost(a: URL, b: URL): boolean {
  if (effectivePort(a) !== effectivePort(b)) return false;
  return a.hostname === b.hostname || (LOOPBACK_NAMES.has(a.hostname) && LOOPBACK_NAMES.has(b.hostname));
}

function classify(err: unknown, signal: AbortSignal): ProbeOutcome {
  if (signal.aborted) return probeError('ABORTED', 'probe aborted');
  const e = err as NodeJS.ErrnoException & { code?: string };
  const code = e?.code ?? '';
  const msg = e?.message ?? String(err);
  if (code === 'ECONNREFUSED') return probeError('REFUSED', 'connection refused');
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') return probeError('RESET', `connection reset (${msg})`);
  if (code.startsWith('HPE_') || err instanceof undiciErrors.HTTPParserError || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_INFO') {
    return probeError('PROTOCOL', `not an HTTP response (${msg})`);
  }
  if (code.startsWith('ERR_SSL') || code === 'EPROTO' || code.startsWith('ERR_TLS')) return probeError('TLS', `TLS failure (${msg})`);
  return probeError('NETWORK', `${code ? `${code}: ` : ''}${msg}`);
}

/** Runs the probe; resolves with an outcome, never rejects. */
export async function probeHttp(spec: HttpSpec, options: HttpProbeOptions): Promise<ProbeOutcome> {
  const { signal } = options;
  if (signal.aborted) return probeError('ABORTED', 'probe aborted');
  let url = new URL(probeUrl(spec));
  const origin = url;
  let redirects = 0;
  // A second, inner controller lets the headers deadline abort without touching the caller's.
  const inner = new AbortController();
  const onAbort = () => inner.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let headersTimer: ReturnType<Clock['setTimeout']> | undefined;
  let headersTimedOut = false;
  if (options.headersTimeoutMs && options.clock) {
    headersTimer = options.clock.setTimeout(() => {
      headersTimedOut = true;
      inner.abort(new Error('headers timeout'));
    }, options.headersTimeoutMs);
  }
  try {
    for (;;) {
      let res;
      try {
        res = await request(url, {
          dispatcher,
          method: 'GET',
          signal: inner.signal,
          reset: true,
          headers: { 'user-agent': 'mesos-sidecar-check', accept: '*/*' },
        });
      } catch (err) {
        if (headersTimedOut) return probeError('TIMEOUT', `no response headers within ${options.headersTimeoutMs} ms`);
        return classify(err, signal);
      }
      options.clock?.clearTimeout(headersTimer);
      headersTimer = undefined;
      const location = res.headers.location;
      const isRedirect = [301, 302, 303, 307, 308].includes(res.statusCode) && typeof location === 'string';
      if (spec.followRedirects && isRedirect) {
        await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          return probeError('REDIRECT', `redirect to an invalid location ${JSON.stringify(location)}`);
        }
        if ((next.protocol !== 'http:' && next.protocol !== 'https:') || !sameHost(origin, next)) {
          return probeError('REDIRECT', `redirect to another host refused: ${next.href}`);
        }
        if (++redirects > MAX_REDIRECTS) return probeError('REDIRECT', `more than ${MAX_REDIRECTS} redirects`);
        url = next;
        continue;
      }
      // Drain and discard, keeping at most captureBodyBytes: memory stays bounded whatever
      // the target sends, and an endless body ends with the caller's abort.
      const keep = options.captureBodyBytes ?? 0;
      const kept: Buffer[] = [];
      let keptBytes = 0;
      let bodyBytes = 0;
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          bodyBytes += chunk.length;
          if (keptBytes < keep) {
            const part = chunk.subarray(0, keep - keptBytes);
            kept.push(part);
            keptBytes += part.length;
          }
        }
      } catch (err) {
        return classify(err, signal);
      }
      const ct = res.headers['content-type'];
      return {
        kind: 'result',
        result: {
          type: 'HTTP',
          statusCode: res.statusCode,
          redirects,
          bodyBytes,
          ...(ct !== undefined ? { contentType: Array.isArray(ct) ? ct.join(', ') : ct } : {}),
          ...(keep > 0 ? { body: Buffer.concat(kept).toString('utf8') } : {}),
        },
      };
    }
  } finally {
    options.clock?.clearTimeout(headersTimer);
    signal.removeEventListener('abort', onAbort);
  }
}
