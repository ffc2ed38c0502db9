// Throwaway certificates for the TLS tests, made with the openssl command-line tool at
// test time (node's crypto cannot sign X.509). Without openssl the tests fall back to
// test/fixtures/tls/, made once by `node dist/test/helpers/tls.js <dir>`: test-only keys.
import type { Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Each name is `<name>.pem` (certificate) and `<name>.key` in `dir`. */
export const PKI_NAMES = {
  ca: 'CA that signs everything below except wrong-agent',
  'wrong-ca': 'a second CA the executor is not told about',
  agent: 'CN=localhost, SAN DNS:localhost and IP:127.0.0.1',
  'agent-dns-only': 'CN=localhost, SAN DNS:localhost (no IP)',
  'agent-cn-only': 'CN=localhost, no SAN',
  'agent-other-name': 'CN=other.example, SAN DNS:other.example',
  'wrong-agent': 'CN=localhost, SAN as agent, signed by wrong-ca',
  executor: 'client certificate CN=mesos-sidecar-executor',
  intermediate: 'intermediate CA, signed by ca',
  'agent-chained': 'as agent, signed by intermediate (served with it)',
} as const;
export type PkiName = keyof typeof PKI_NAMES;

export interface Pki {
  dir: string;
  cert(name: PkiName): string;
  key(name: PkiName): string;
  /** The PEM chain a server presents for `name`: its certificate and any intermediate. */
  chain(name: PkiName): Buffer;
  /** An EmulatorTls for `name`. */
  serve(name: PkiName, options?: { requireClientCert?: boolean }): { cert: Buffer; key: Buffer; ca?: Buffer; requireClientCert?: boolean };
}

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/tls', import.meta.url));

export function opensslAvailable(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

/** Writes every PKI_NAMES pair into `dir` with `days` of validity. */
export function generatePki(dir: string, days: number): void {
  // A config without default extensions: each certificate gets exactly the ones listed.
  writeFileSync(path.join(dir, 'openssl.cnf'), '[req]\ndistinguished_name=dn\n[dn]\n');
  const make = (name: string, subject: string, extensions: string[], signer?: string): void => {
    openssl(dir, [
      'req', '-config', 'openssl.cnf', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', String(days), '-subj', subject,
      ...(signer ? ['-CA', `${signer}.pem`, '-CAkey', `${signer}.key`] : []),
      ...extensions.flatMap((e) => ['-addext', e]),
    ]);
  };
  const ca = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
  const server = ['basicConstraints=CA:FALSE', 'extendedKeyUsage=serverAuth'];
  make('ca', '/CN=mesos-sidecar test CA', ca);
  make('wrong-ca', '/CN=mesos-sidecar wrong test CA', ca);
  make('agent', '/CN=localhost', [...server, 'subjectAltName=DNS:localhost,IP:127.0.0.1'], 'ca');
  make('agent-dns-only', '/CN=localhost', [...server, 'subjectAltName=DNS:localhost'], 'ca');
  make('agent-cn-only', '/CN=localhost', server, 'ca');
  make('agent-other-name', '/CN=other.example', [...server, 'subjectAltName=DNS:other.example'], 'ca');
  make('wrong-agent', '/CN=localhost', [...server, 'subjectAltName=DNS:localhost,IP:127.0.0.1'], 'wrong-ca');
  make('executor', '/CN=mesos-sidecar-executor', ['basicConstraints=CA:FALSE', 'extendedKeyUsage=clientAuth'], 'ca');
  make('intermediate', '/CN=mesos-sidecar test intermediate CA', ca, 'ca');
  make('agent-chained', '/CN=localhost', [...server, 'subjectAltName=DNS:localhost,IP:127.0.0.1'], 'intermediate');
  rmSync(path.join(dir, 'openssl.cnf'));
}

/** A fresh PKI in a temporary directory, removed at teardown. */
export function testPki(t: Test): Pki {
  const dir = mkdtempSync(path.join(tmpdir(), 'sidecar-pki-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  if (opensslAvailable()) generatePki(dir, 2);
  else cpSync(FIXTURES, dir, { recursive: true });
  const cert = (name: PkiName): string => path.join(dir, `${name}.pem`);
  const key = (name: PkiName): string => path.join(dir, `${name}.key`);
  const chain = (name: PkiName): Buffer =>
    Buffer.concat([readFileSync(cert(name)), ...(name === 'agent-chained' ? [readFileSync(cert('intermediate'))] : [])]);
  return {
    dir,
    cert,
    key,
    chain,
    serve: (name, options = {}) => ({
      cert: chain(name),
      key: readFileSync(key(name)),
      ...(options.requireClientCert ? { ca: readFileSync(cert('ca')), requireClientCert: true } : {}),
    }),
  };
}

/** The LIBPROCESS_SSL_* environment of an executor presenting `executor` and trusting `ca`. */
export function sslEnvironment(pki: Pki, extra: Record<string, string> = {}): Record<string, string> {
  return {
    LIBPROCESS_SSL_ENABLED: 'true',
    LIBPROCESS_SSL_CERT_FILE: pki.cert('executor'),
    LIBPROCESS_SSL_KEY_FILE: pki.key('executor'),
    ...extra,
  };
}

// Regenerates the committed fallback: node dist/test/helpers/tls.js test/fixtures/tls
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node dist/test/helpers/tls.js <dir>');
  const tmp = mkdtempSync(path.join(tmpdir(), 'sidecar-pki-'));
  generatePki(tmp, 36500);
  cpSync(tmp, out, { recursive: true });
  rmSync(tmp, { recursive: true, force: true });
}
