// TLS connections to the agent as libprocess makes them as a client (shared/spec/
// containers.md §6.2): one secure context for the process (certificate, key, trust store,
// versions, ciphers), no SNI, the peer verified only under VERIFY_SERVER_CERT, its name
// by the configured scheme. Loaded by the executor only when SSL is enabled, so a plain
// HTTP executor never pays for node:tls.
import { lookup, lookupService } from 'node:dns/promises';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import https from 'node:https';
import { isIP } from 'node:net';
import path from 'node:path';
import { constants } from 'node:crypto';
import tls, { type PeerCertificate, type SecureContext, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { AgentTlsError, EnvironmentError } from '../common/errors.js';
import {
  chainTooLong,
  legacyNameCheck,
  parseSubjectAltName,
  sslVariable,
  TLS_CODES,
  tlsErrorCode,
  tlsFailureVariable,
  versionRange,
  type LibprocessSsl,
  type TlsVersion,
} from './tls-config.js';

/** A CA_DIR beyond these is refused rather than read into memory. */
export const MAX_CA_DIR_FILES = 4096;
export const MAX_CA_BYTES = 32 * 1024 * 1024;

/**
 * A reverse-DNS answer later than this counts as none (the name check then proceeds as
 * upstream's does after a failed lookup); libprocess only warns past 100 ms, but an
 * unanswering resolver must not hold every reconnection attempt for its full timeout.
 */
export const REVERSE_DNS_TIMEOUT_MS = 5000;

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

const NO_VERSION: Record<TlsVersion, number> = {
  TLSv1: constants.SSL_OP_NO_TLSv1,
  'TLSv1.1': constants.SSL_OP_NO_TLSv1_1,
  'TLSv1.2': constants.SSL_OP_NO_TLSv1_2,
  'TLSv1.3': constants.SSL_OP_NO_TLSv1_3,
};

function readSetting(ssl: LibprocessSsl, flag: string, file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new EnvironmentError(sslVariable(ssl, flag), `Could not load ${what} '${file}': ${(err as Error).message}`);
  }
}

/** Every PEM certificate in CA_FILE and the files of CA_DIR (OpenSSL's hashed names or any other). */
function loadTrustStore(ssl: LibprocessSsl): string[] {
  const pems: string[] = [];
  let bytes = 0;
  const add = (flag: string, file: string, text: string): void => {
    bytes += text.length;
    if (bytes > MAX_CA_BYTES) throw new EnvironmentError(sslVariable(ssl, flag), `CA certificates exceed ${MAX_CA_BYTES} bytes at '${file}'`);
    pems.push(text);
  };
  if (ssl.caFile !== undefined) {
    const text = readSetting(ssl, 'ca_file', ssl.caFile, 'CA file').toString('utf8');
    if (!text.includes(PEM_CERTIFICATE)) throw new EnvironmentError(sslVariable(ssl, 'ca_file'), `'${ssl.caFile}' holds no PEM certificate`);
    add('ca_file', ssl.caFile, text);
  }
  if (ssl.caDir !== undefined) {
    const dir = ssl.caDir;
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch (err) {
      throw new EnvironmentError(sslVariable(ssl, 'ca_dir'), `Could not load CA directory '${dir}': ${(err as Error).message}`);
    }
    if (entries.length > MAX_CA_DIR_FILES) throw new EnvironmentError(sslVariable(ssl, 'ca_dir'), `'${dir}' has more than ${MAX_CA_DIR_FILES} entries`);
    let found = 0;
    for (const entry of entries) {
      const file = path.join(dir, entry);
      try {
        if (!statSync(file).isFile()) continue;
      } catch {
        continue; // a dangling link, as OpenSSL's lookup would skip it
      }
      const text = readSetting(ssl, 'ca_dir', file, 'CA certificate').toString('utf8');
      if (!text.includes(PEM_CERTIFICATE)) continue;
      add('ca_dir', file, text);
      found++;
    }
    if (found === 0 && ssl.caFile === undefined) throw new EnvironmentError(sslVariable(ssl, 'ca_dir'), `'${dir}' holds no PEM certificate`);
  }
  return pems;
}

/** The process' one TLS context, like libprocess' global SSL_CTX; bad files are EnvironmentErrors. */
export function createSecureContext(ssl: LibprocessSsl): SecureContext {
  const cert = readSetting(ssl, 'cert_file', ssl.certFile!, 'cert file');
  const key = readSetting(ssl, 'key_file', ssl.keyFile!, 'key file');
  const range = versionRange(ssl.versions);
  let secureOptions = 0;
  for (const v of range.excluded) secureOptions |= NO_VERSION[v];
  const options: tls.SecureContextOptions = { minVersion: range.min, maxVersion: range.max, secureOptions };
  // Like libprocess, the trust store is only loaded when it is going to be used.
  if (ssl.verifyServerCert && (ssl.caFile !== undefined || ssl.caDir !== undefined)) options.ca = loadTrustStore(ssl);
  if (ssl.ecdhCurves !== 'auto') options.ecdhCurve = ssl.ecdhCurves;
  // Each file alone first, so the error names the setting that is wrong.
  const steps: Array<[string, string, tls.SecureContextOptions]> = [
    ['cert_file', `Could not load cert file '${ssl.certFile}'`, { cert }],
    ['key_file', `Could not load key file '${ssl.keyFile}' (or it does not match the certificate)`, { cert, key }],
  ];
  if (options.ca) steps.push([ssl.caFile !== undefined ? 'ca_file' : 'ca_dir', 'Could not load CA file and/or directory', { ca: options.ca }]);
  if (options.ecdhCurve) steps.push(['ecdh_curves', `Could not load ECDH curves '${ssl.ecdhCurves}'`, { ecdhCurve: options.ecdhCurve }]);
  if (ssl.ciphers !== undefined) steps.push(['ciphers', `Could not set ciphers '${ssl.ciphers}'`, { ciphers: ssl.ciphers }]);
  for (const [flag, what, partial] of steps) {
    try {
      tls.createSecureContext(partial);
    } catch (err) {
      throw new EnvironmentError(sslVariable(ssl, flag), `${what}: ${(err as Error).message}`);
    }
  }
  const context = tls.createSecureContext({ ...options, cert, key, ...(ssl.ciphers !== undefined ? { ciphers: ssl.ciphers } : {}) });
  return context;
}

function certificateChainLength(cert: PeerCertificate): number {
  let n = 0;
  const seen = new Set<string>();
  let c: tls.DetailedPeerCertificate | undefined = cert as tls.DetailedPeerCertificate;
  while (c && c.fingerprint256 && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    n++;
    c = c.issuerCertificate;
  }
  return n;
}

async function reverseName(ip: string, port: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), REVERSE_DNS_TIMEOUT_MS);
  });
  try {
    return await Promise.race([lookupService(ip, port).then((r) => r.hostname, () => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

function tlsError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Wraps a TLS failure with the setting to look at; other errors (refused, reset) pass as they are. */
export function classifyTlsError(err: unknown, ssl: LibprocessSsl): unknown {
  if (!(err instanceof Error) || err instanceof AgentTlsError) return err;
  const code = tlsErrorCode((err as NodeJS.ErrnoException).code, err.message);
  const variable = tlsFailureVariable(code, ssl);
  return variable === undefined ? err : new AgentTlsError(variable, code!, err);
}

export class TlsConnector {
  readonly #ssl: LibprocessSsl;
  readonly #context: SecureContext;

  constructor(ssl: LibprocessSsl) {
    this.#ssl = ssl;
    this.#context = createSecureContext(ssl);
  }

  /** A keep-alive agent with one connection, like the plain client's; `onSecureConnect` per new connection. */
  createAgent(onSecureConnect: () => void): https.Agent {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    // node's Agent takes a connection through this callback when it is not returned at once.
    (agent as unknown as { createConnection: unknown }).createConnection = (
      options: { host?: string; port?: number | string },
      done: (err: Error | null, socket?: Duplex) => void,
    ): undefined => {
      this.connect(options.host ?? 'localhost', Number(options.port)).then(
        (socket) => {
          socket.once('secureConnect', onSecureConnect);
          done(null, socket);
        },
        (err: Error) => done(err),
      );
      return undefined;
    };
    return agent;
  }

  request = https.request;

  classify(err: unknown): unknown {
    return classifyTlsError(err, this.#ssl);
  }

  /** Dials `host` (resolved once: the name we check belongs to the address we dial). */
  async connect(host: string, port: number): Promise<TLSSocket> {
    const ssl = this.#ssl;
    const dnsName = isIP(host) ? undefined : host;
    const ip = dnsName === undefined ? host : (await lookup(dnsName)).address;
    let checkName: (cert: PeerCertificate) => Error | undefined = () => undefined;
    if (ssl.verifyServerCert && ssl.hostnameValidationScheme === 'openssl') {
      if (dnsName === undefined && !ssl.verifyIpAdd) {
        // libprocess refuses before dialing; so do we (two spaces: upstream's message).
        throw tlsError(TLS_CODES.noIpVerification, 'No DNS name given and IP address verification is  disabled. I cannot work like this :(');
      }
      checkName = (cert) => tls.checkServerIdentity(dnsName ?? ip, cert);
    } else if (ssl.verifyServerCert) {
      // legacy: the peer's reverse-DNS name replaces the URL's (upstream ignores the latter when it can).
      const reverse = await reverseName(ip, port);
      const hostname = reverse !== undefined && reverse !== ip ? reverse : dnsName;
      checkName = (cert) => {
        const message = legacyNameCheck({
          names: { commonName: typeof cert.subject?.CN === 'string' ? cert.subject.CN : undefined, ...parseSubjectAltName(cert.subjectaltname) },
          ...(hostname !== undefined ? { hostname } : {}),
          ip,
          verifyIpAdd: ssl.verifyIpAdd,
          requireClientCert: ssl.requireClientCert,
        });
        return message === undefined ? undefined : tlsError(TLS_CODES.hostname, message);
      };
    }
    return tls.connect({
      host: ip,
      port,
      secureContext: this.#context,
      // No servername: libprocess sends no SNI.
      rejectUnauthorized: ssl.verifyServerCert,
      checkServerIdentity: (_servername, cert) => {
        if (!ssl.verifyServerCert) return undefined;
        if (chainTooLong(certificateChainLength(cert), ssl.verificationDepth)) {
          return tlsError(TLS_CODES.chainTooLong, `certificate chain longer than verification depth ${ssl.verificationDepth} allows`);
        }
        return checkName(cert);
      },
    });
  }
}
