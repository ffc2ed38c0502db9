// One HTTP GET, in-process, the way Mesos' `curl -s -S -L -k -o /dev/null` answers it
// (shared/spec/checks.md §4): any certificate is accepted, the body is read to the end and
// thrown away (never buffered), the final status code is the result. Differences, on
// purpose: redirects are followed only to the same host and port (curl -L follows any,
// which lets a task point the agent at arbitrary hosts), and the caller's AbortSignal is the
// hard deadline that tears the socket down wherever the exchange is.
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
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

// One undici Pool per origin (loopback host, port and scheme: as few as the tasks' check
// ports). Connections are not reused (`reset: true` below): curl opens a fresh one per
// probe, and a reused connection could hide a server that no longer accepts. Probes go
// through the low-level dispatch API: no response stream object per probe, which is most
// of the client's CPU cost (bench/checks).
const pools = new Map<string, Pool>();
/** Tasks come and go with new ports: the least recently used pools beyond this are closed. */
let maxPools = 1024;

/** Changes the bound on per-origin pools (tests; the default suits any executor). */
export function setMaxPools(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`maxPools must be an integer >= 1, got ${n}`);
  maxPools = n;
}

function poolFor(origin: string): Pool {
  let pool = pools.get(origin);
  if (pool) {
    // Map order is insertion order: re-inserting keeps the most recently used last.
    pools.delete(origin);
  } else {
    pool = new Pool(origin, { connect: { rejectUnauthorized: false }, headersTimeout: 0, bodyTimeout: 0 });
  }
  pools.set(origin, pool);
  while (pools.size > maxPools) {
    const [oldest, stale] = pools.entries().next().value as [string, Pool];
    pools.delete(oldest);
    // Graceful: a probe still running on it finishes; no new ones go there.
    void stale.close().catch(() => undefined);
  }
  return pool;
}

/** Number of origins with a pool (tests). */
export function poolCount(): number {
  return pools.size;
}

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

interface Response {
  statusCode: number;
  location?: string;
  contentType?: string;
  body?: string;
  bodyBytes: number;
}

function headerValue(raw: Buffer[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toString('latin1').toLowerCase() === name) return raw[i + 1]!.toString('latin1');
  }
  return undefined;
}

/**
 * One GET on a fresh connection: status, the two headers we need, and the body drained
 * (kept up to `keep` bytes). Settles on `abort()` at once, whatever the socket does.
 */
function exchange(url: URL, keep: number, onHeadersReceived: () => void): { done: Promise<Response | Error>; abort: (reason: Error) => void } {
  let abortFn: ((err: Error) => void) | undefined;
  let abortReason: Error | undefined;
  let settle!: (r: Response | Error) => void;
  const done = new Promise<Response | Error>((resolve) => (settle = resolve));
  let settled = false;
  const finish = (r: Response | Error) => {
    if (settled) return;
    settled = true;
    settle(r);
  };
  const res: Response = { statusCode: 0, bodyBytes: 0 };
  const kept: Buffer[] = [];
  let keptBytes = 0;
  const handler: Dispatcher.DispatchHandler = {
    onConnect(abort: (err?: Error) => void) {
      abortFn = abort;
      if (abortReason) abort(abortReason);
    },
    onHeaders(statusCode: number, rawHeaders: Buffer[]) {
      // 1xx informational responses precede the real one.
      if (statusCode < 200) return true;
      res.statusCode = statusCode;
      const location = headerValue(rawHeaders, 'location');
      if (location !== undefined) res.location = location;
      const contentType = headerValue(rawHeaders, 'content-type');
      if (contentType !== undefined) res.contentType = contentType;
      onHeadersReceived();
      return true;
    },
    onData(chunk: Buffer) {
      res.bodyBytes += chunk.length;
      if (keptBytes < keep) {
        const part = chunk.subarray(0, keep - keptBytes);
        kept.push(Buffer.from(part));
        keptBytes += part.length;
      }
      return true;
    },
    onComplete() {
      if (keep > 0) res.body = Buffer.concat(kept).toString('utf8');
      finish(res);
    },
    onError(err: Error) {
      finish(err);
    },
    onUpgrade() {
      finish(new Error('unexpected protocol upgrade'));
    },
  } as unknown as Dispatcher.DispatchHandler;
  const host = url.host;
  try {
    poolFor(url.origin).dispatch({ origin: url.origin, path: `${url.pathname}${url.search}`, method: 'GET', reset: true, headers: { host, 'user-agent': 'mesos-sidecar-check', accept: '*/*' } }, handler);
  } catch (err) {
    finish(err as Error);
  }
  return {
    done,
    abort: (reason: Error) => {
      abortReason = reason;
      abortFn?.(reason);
      finish(reason);
    },
  };
}

class AbortedError extends Error {}

/** Runs the probe; resolves with an outcome, never rejects. */
export async function probeHttp(spec: HttpSpec, options: HttpProbeOptions): Promise<ProbeOutcome> {
  const { signal } = options;
  if (signal.aborted) return probeError('ABORTED', 'probe aborted');
  const origin = new URL(probeUrl(spec));
  let url = origin;
  let redirects = 0;
  const keep = options.captureBodyBytes ?? 0;
  for (;;) {
    let headersTimer: ReturnType<Clock['setTimeout']> | undefined;
    let headersTimedOut = false;
    const ex = exchange(url, keep, () => {
      options.clock?.clearTimeout(headersTimer);
      headersTimer = undefined;
    });
    const onAbort = () => ex.abort(new AbortedError('probe aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    if (options.headersTimeoutMs && options.clock) {
      headersTimer = options.clock.setTimeout(() => {
        headersTimedOut = true;
        ex.abort(new AbortedError('headers timeout'));
      }, options.headersTimeoutMs);
    }
    const r = await ex.done;
    signal.removeEventListener('abort', onAbort);
    options.clock?.clearTimeout(headersTimer);
    if (r instanceof Error) {
      if (headersTimedOut) return probeError('TIMEOUT', `no response headers within ${options.headersTimeoutMs} ms`);
      return classify(r, signal);
    }
    const isRedirect = r.location !== undefined && [301, 302, 303, 307, 308].includes(r.statusCode);
    if (spec.followRedirects && isRedirect) {
      let next: URL;
      try {
        next = new URL(r.location!, url);
      } catch {
        return probeError('REDIRECT', `redirect to an invalid location ${JSON.stringify(r.location)}`);
      }
      if ((next.protocol !== 'http:' && next.protocol !== 'https:') || !sameHost(origin, next)) {
        return probeError('REDIRECT', `redirect to another host refused: ${next.href}`);
      }
      if (++redirects > MAX_REDIRECTS) return probeError('REDIRECT', `more than ${MAX_REDIRECTS} redirects`);
      url = next;
      continue;
    }
    return {
      kind: 'result',
      result: {
        type: 'HTTP',
        statusCode: r.statusCode,
        redirects,
        bodyBytes: r.bodyBytes,
        ...(r.contentType !== undefined ? { contentType: r.contentType } : {}),
        ...(r.body !== undefined ? { body: r.body } : {}),
      },
    };
  }
}
