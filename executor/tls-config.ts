// libprocess' SSL settings (shared/spec/containers.md §6) as a client reads them, parsed
// once into a typed value, and the pure decisions built on them: which TLS versions,
// whether a certificate names the agent (the `legacy` scheme), how deep a chain may be,
// and which variable an operator has to change when a handshake fails. No node:tls here:
// the executor loads that only when SSL is enabled (tls-connector.ts).
// Upstream: 3rdparty/libprocess/src/openssl.cpp (Flags::Flags, reinitialize, verify,
// configure_socket) and 3rdparty/stout/include/stout/flags/flags.hpp (extract, load).
import { EnvironmentError } from '../common/errors.js';

export type HostnameValidationScheme = 'legacy' | 'openssl';
export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface LibprocessSsl {
  enabled: boolean;
  certFile?: string;
  keyFile?: string;
  /** Verify the agent's certificate (REQUIRE_CLIENT_CERT implies it, as upstream). */
  verifyServerCert: boolean;
  /** Server-side in libprocess; for a client it only makes `legacy` refuse an unnamed peer. */
  requireClientCert: boolean;
  verifyIpAdd: boolean;
  verificationDepth: number;
  caFile?: string;
  caDir?: string;
  /** Only when set: our TLS library's defaults beat libprocess' 2015 list (RC4, SHA-1). */
  ciphers?: string;
  ecdhCurves: string;
  hostnameValidationScheme: HostnameValidationScheme;
  /** Allowed protocol versions, oldest first (SSLv3 cannot be spoken here at all). */
  versions: TlsVersion[];
  /** The environment variable each setting was read from, to name it in errors. */
  sources: Readonly<Record<string, string>>;
}

export interface ParsedSsl {
  ssl: LibprocessSsl;
  /** For the log: mismatched prefixes, ignored settings. */
  warnings: string[];
}

const LOAD_FAILED = 'Failed to load flags from environment variables prefixed by LIBPROCESS_SSL_ or SSL_ (deprecated)';

type Kind = 'bool' | 'string' | 'int';

/** Flag names as libprocess' code reads them, with their type and default. */
const FLAGS: Record<string, { kind: Kind; default?: boolean | number | string }> = {
  enabled: { kind: 'bool', default: false },
  support_downgrade: { kind: 'bool', default: false },
  cert_file: { kind: 'string' },
  key_file: { kind: 'string' },
  verify_server_cert: { kind: 'bool', default: false },
  require_client_cert: { kind: 'bool', default: false },
  verify_ipadd: { kind: 'bool', default: false },
  verification_depth: { kind: 'int', default: 4 },
  ca_dir: { kind: 'string' },
  ca_file: { kind: 'string' },
  ciphers: { kind: 'string' },
  ecdh_curves: { kind: 'string', default: 'auto' },
  hostname_validation_scheme: { kind: 'string', default: 'legacy' },
  enable_ssl_v3: { kind: 'bool', default: false },
  enable_tls_v1_0: { kind: 'bool', default: false },
  enable_tls_v1_1: { kind: 'bool', default: false },
  enable_tls_v1_2: { kind: 'bool', default: true },
  enable_tls_v1_3: { kind: 'bool', default: false },
};

/**
 * Other spellings, read only when the canonical name is absent: upstream's older flag
 * names (verify_cert, require_cert) and the ones its docs print but its code never read
 * (verify_depth, ecdh_curve, enable_downgrade) — the [Decision] of containers.md §6.3.
 */
const ALIASES: Record<string, string> = {
  verify_cert: 'verify_server_cert',
  require_cert: 'require_client_cert',
  verify_depth: 'verification_depth',
  ecdh_curve: 'ecdh_curves',
  enable_downgrade: 'support_downgrade',
};

const VERSION_FLAGS: Array<[string, TlsVersion]> = [
  ['enable_tls_v1_0', 'TLSv1'],
  ['enable_tls_v1_1', 'TLSv1.1'],
  ['enable_tls_v1_2', 'TLSv1.2'],
  ['enable_tls_v1_3', 'TLSv1.3'],
];

interface Found {
  variable: string;
  value: string;
}

/** `prefix` variables by lower-cased flag name (stout's extract); unknown names are ignored. */
function extract(env: NodeJS.ProcessEnv, prefix: string): Map<string, Found> {
  const found = new Map<string, Found>();
  for (const [variable, value] of Object.entries(env)) {
    if (value === undefined || !variable.startsWith(prefix)) continue;
    const name = variable.slice(prefix.length).toLowerCase();
    if (!(name in FLAGS) && !(name in ALIASES)) continue;
    if (!found.has(name)) found.set(name, { variable, value });
  }
  return found;
}

function fail(variable: string, flag: string, detail: string): never {
  throw new EnvironmentError(variable, `${LOAD_FAILED}: Failed to load flag '${flag}': ${detail}`);
}

export function parseLibprocessSsl(env: NodeJS.ProcessEnv): ParsedSsl {
  const warnings: string[] = [];
  const legacy = extract(env, 'SSL_');
  const current = extract(env, 'LIBPROCESS_SSL_');
  for (const [name, found] of legacy) {
    const winner = current.get(name);
    if (winner && winner.value !== found.value) {
      warnings.push(`Mismatched values for SSL environment variables ${found.variable} and ${winner.variable}`);
    }
  }
  const merged = new Map([...legacy, ...current]);
  for (const [alias, name] of Object.entries(ALIASES)) {
    const found = merged.get(alias);
    merged.delete(alias);
    if (!found) continue;
    const canonical = merged.get(name);
    if (!canonical) merged.set(name, found);
    else if (canonical.value !== found.value) warnings.push(`${found.variable} is ignored: ${canonical.variable} is set too`);
  }

  const sources: Record<string, string> = {};
  const values: Record<string, boolean | number | string | undefined> = {};
  for (const [flag, spec] of Object.entries(FLAGS)) {
    const found = merged.get(flag);
    if (!found) {
      values[flag] = spec.default;
      continue;
    }
    sources[flag] = found.variable;
    const { variable, value } = found;
    if (spec.kind === 'bool') {
      // stout: a boolean flag given without a value means true.
      if (value === '' || value === 'true' || value === '1') values[flag] = true;
      else if (value === 'false' || value === '0') values[flag] = false;
      else fail(variable, flag, `Failed to load value '${value}': Expecting a boolean (e.g., true or false)`);
    } else if (spec.kind === 'int') {
      if (!/^\d{1,9}$/.test(value.trim())) fail(variable, flag, `Failed to load value '${value}': Failed to convert '${value}' to number`);
      values[flag] = Number(value.trim());
    } else {
      if (value === '') fail(variable, flag, 'Missing value');
      values[flag] = value;
    }
  }

  const scheme = values.hostname_validation_scheme as string;
  const enabled = values.enabled as boolean;
  const requireClientCert = values.require_client_cert as boolean;
  const ssl: LibprocessSsl = {
    enabled,
    verifyServerCert: (values.verify_server_cert as boolean) || requireClientCert,
    requireClientCert,
    verifyIpAdd: values.verify_ipadd as boolean,
    verificationDepth: values.verification_depth as number,
    ecdhCurves: values.ecdh_curves as string,
    hostnameValidationScheme: scheme as HostnameValidationScheme,
    versions: VERSION_FLAGS.filter(([flag]) => values[flag] === true).map(([, v]) => v),
    sources,
  };
  for (const [key, flag] of [['certFile', 'cert_file'], ['keyFile', 'key_file'], ['caFile', 'ca_file'], ['caDir', 'ca_dir'], ['ciphers', 'ciphers']] as const) {
    const v = values[flag];
    if (typeof v === 'string') ssl[key] = v;
  }
  // Like libprocess, the rest is only checked when SSL is on: off, nothing else matters.
  if (!enabled) return { ssl, warnings };
  if (ssl.keyFile === undefined) throw new EnvironmentError(sslVariable(ssl, 'key_file'), 'SSL requires key! NOTE: Set path with LIBPROCESS_SSL_KEY_FILE');
  if (ssl.certFile === undefined) throw new EnvironmentError(sslVariable(ssl, 'cert_file'), 'SSL requires certificate! NOTE: Set path with LIBPROCESS_SSL_CERT_FILE');
  if (scheme !== 'legacy' && scheme !== 'openssl') {
    throw new EnvironmentError(sslVariable(ssl, 'hostname_validation_scheme'), `Unknown value for hostname_validation_scheme: ${scheme}`);
  }
  if (values.enable_ssl_v3 === true) warnings.push(`${sslVariable(ssl, 'enable_ssl_v3')} is ignored: SSLv3 is not available to this executor`);
  if (ssl.versions.length === 0) {
    throw new EnvironmentError(sslVariable(ssl, 'enable_tls_v1_2'), 'no TLS version is enabled (set one of LIBPROCESS_SSL_ENABLE_TLS_V1_0 … _V1_3 to true)');
  }
  if (values.support_downgrade === true) warnings.push(`${sslVariable(ssl, 'support_downgrade')} is ignored: it only concerns servers; the executor never falls back to plain HTTP`);
  return { ssl, warnings };
}

/** The variable an operator sets for `flag`: the one it came from, else the LIBPROCESS_SSL_ name. */
export function sslVariable(ssl: LibprocessSsl, flag: string): string {
  return ssl.sources[flag] ?? `LIBPROCESS_SSL_${flag.toUpperCase()}`;
}

/**
 * Node can only take a contiguous version range plus "no version X" options, so an
 * allowed set like {1.0, 1.2} becomes 1.0–1.2 without 1.1.
 */
export function versionRange(versions: readonly TlsVersion[]): { min: TlsVersion; max: TlsVersion; excluded: TlsVersion[] } {
  const all = VERSION_FLAGS.map(([, v]) => v);
  const inUse = all.filter((v) => versions.includes(v));
  if (inUse.length === 0) throw new RangeError('no TLS version allowed');
  const min = inUse[0]!;
  const max = inUse.at(-1)!;
  const excluded = all.slice(all.indexOf(min), all.indexOf(max) + 1).filter((v) => !inUse.includes(v));
  return { min, max, excluded };
}

/**
 * OpenSSL's depth counts the certificates above the leaf that may be intermediates:
 * depth d allows levels 0 (the agent's own) to d + 1 (the trust anchor).
 */
export function chainTooLong(certificates: number, depth: number): boolean {
  return certificates > depth + 2;
}

/** What the `legacy` check reads off the agent's certificate. */
export interface PresentedNames {
  commonName?: string | undefined;
  dnsNames: string[];
  ipAddresses: string[];
}

/**
 * libprocess' `legacy` name check (openssl.cpp `verify`) once the chain is trusted:
 * `hostname` is the peer's reverse-DNS name (or the URL's DNS name), `ip` the peer.
 * Returns the failure message, or undefined when the certificate names the agent.
 */
export function legacyNameCheck(options: { names: PresentedNames; hostname?: string; ip?: string; verifyIpAdd: boolean; requireClientCert: boolean }): string | undefined {
  const { names, hostname, ip, verifyIpAdd } = options;
  if (!verifyIpAdd && hostname === undefined) {
    return options.requireClientCert ? 'Cannot verify peer certificate: peer hostname unknown' : undefined;
  }
  if (hostname !== undefined && names.dnsNames.includes(hostname)) return undefined;
  // Upstream compares 4-byte iPAddress entries only: IPv4.
  if (verifyIpAdd && ip !== undefined && /^\d+\.\d+\.\d+\.\d+$/.test(ip) && names.ipAddresses.includes(ip)) return undefined;
  if (hostname !== undefined && names.commonName !== undefined) {
    return names.commonName === hostname ? undefined : `Presented Certificate Name: ${names.commonName} does not match peer hostname name: ${hostname}`;
  }
  const details = [hostname !== undefined ? `hostname ${hostname}` : undefined, ip !== undefined ? `IP ${ip}` : undefined].filter(Boolean);
  return `Could not verify presented certificate with ${details.join(', ')}`;
}

/** Node's `subjectaltname` text (`DNS:a, IP Address:10.0.0.1`) split into names. */
export function parseSubjectAltName(text: string | undefined): Pick<PresentedNames, 'dnsNames' | 'ipAddresses'> {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const entry of (text ?? '').split(/,\s*/)) {
    if (entry.startsWith('DNS:')) dnsNames.push(entry.slice(4));
    else if (entry.startsWith('IP Address:')) ipAddresses.push(entry.slice(11));
  }
  return { dnsNames, ipAddresses };
}

/** Our own codes for the libprocess checks node:tls does not make itself. */
export const TLS_CODES = {
  hostname: 'ERR_LIBPROCESS_HOSTNAME',
  noIpVerification: 'ERR_LIBPROCESS_NO_DNS_NAME',
  chainTooLong: 'CERT_CHAIN_TOO_LONG',
} as const;

const CHAIN_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'INVALID_CA',
]);

/**
 * The TLS error code of a failure: node's own, except that an alert arriving during a
 * write comes as a bare EPROTO whose message carries OpenSSL's reason
 * (`…:SSL routines:ssl3_read_bytes:tlsv1 alert protocol version:…`), which becomes the
 * code node gives the same failure elsewhere (ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION).
 */
export function tlsErrorCode(code: string | undefined, message: string): string | undefined {
  if (code !== 'EPROTO') return code;
  const reason = /:SSL routines:[^:]*:([^:]+):/.exec(message)?.[1];
  return reason ? `ERR_SSL_${reason.trim().toUpperCase().replace(/[^A-Z0-9]+/g, '_')}` : code;
}

/**
 * The setting to look at when a TLS connection to the agent fails with `code`, or
 * undefined when the failure is not about TLS (a refused connection is just an
 * unreachable agent). Alerts are the agent's verdict on us; the rest is ours on it.
 */
export function tlsFailureVariable(code: string | undefined, ssl: LibprocessSsl): string | undefined {
  if (code === undefined) return undefined;
  if (CHAIN_CODES.has(code)) {
    // Which trust store was used: the one set, CA_FILE by default.
    return ssl.caFile === undefined && ssl.caDir !== undefined ? sslVariable(ssl, 'ca_dir') : sslVariable(ssl, 'ca_file');
  }
  if (code === TLS_CODES.chainTooLong) return sslVariable(ssl, 'verification_depth');
  if (code === TLS_CODES.noIpVerification) return sslVariable(ssl, 'verify_ipadd');
  if (code === TLS_CODES.hostname || code === 'ERR_TLS_CERT_ALTNAME_INVALID') return sslVariable(ssl, 'hostname_validation_scheme');
  if (/^ERR_SSL_.*ALERT_(CERTIFICATE|BAD_CERTIFICATE|UNKNOWN_CA|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED)/.test(code)) return sslVariable(ssl, 'cert_file');
  if (/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|VERSION_TOO_LOW|VERSION_TOO_HIGH/.test(code)) return sslVariable(ssl, 'enable_tls_v1_2');
  if (/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST/.test(code)) return sslVariable(ssl, 'enabled');
  if (/HANDSHAKE_FAILURE|NO_SHARED_CIPHER|NO_CIPHERS_AVAILABLE/.test(code)) return sslVariable(ssl, 'ciphers');
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO') return sslVariable(ssl, 'enabled');
  return undefined;
}
