// libprocess' SSL settings (executor/tls-config.ts) and the pure decisions on them, as
// tables: each row says which input and which result or error.
import t from 'tap';
import {
  chainTooLong,
  legacyNameCheck,
  parseLibprocessSsl,
  parseSubjectAltName,
  tlsErrorCode,
  tlsFailureVariable,
  versionRange,
  type LibprocessSsl,
} from '../../executor/tls-config.js';

const keys = { LIBPROCESS_SSL_CERT_FILE: '/c.pem', LIBPROCESS_SSL_KEY_FILE: '/k.pem' };

t.test('defaults: off; when on, TLS 1.2 only, legacy scheme, depth 4, no verification, curves auto, no ciphers', async (t) => {
  const off = parseLibprocessSsl({});
  t.equal(off.ssl.enabled, false);
  t.same(off.warnings, []);
  const on = parseLibprocessSsl({ LIBPROCESS_SSL_ENABLED: 'true', ...keys }).ssl;
  t.match(on, { enabled: true, verifyServerCert: false, requireClientCert: false, verifyIpAdd: false, verificationDepth: 4, ecdhCurves: 'auto', hostnameValidationScheme: 'legacy' });
  t.same(on.versions, ['TLSv1.2']);
  t.equal(on.ciphers, undefined, 'CIPHERS only when set');
  t.equal(on.caFile, undefined);
});

t.test('values by input', async (t) => {
  const cases: Array<[string, Record<string, string>, Partial<LibprocessSsl>]> = [
    ['empty boolean means true', { LIBPROCESS_SSL_ENABLED: '', ...keys }, { enabled: true }],
    ['1 is true', { LIBPROCESS_SSL_ENABLED: '1', ...keys }, { enabled: true }],
    ['0 is false', { LIBPROCESS_SSL_ENABLED: '0' }, { enabled: false }],
    ['false is false', { LIBPROCESS_SSL_ENABLED: 'false' }, { enabled: false }],
    ['legacy prefix alone', { SSL_ENABLED: 'true', SSL_CERT_FILE: '/s.pem', SSL_KEY_FILE: '/s.key' }, { enabled: true, certFile: '/s.pem', keyFile: '/s.key' }],
    ['the part after the prefix is case-insensitive', { LIBPROCESS_SSL_enabled: 'true', LIBPROCESS_SSL_Cert_File: '/c', LIBPROCESS_SSL_KEY_file: '/k' }, { enabled: true, certFile: '/c', keyFile: '/k' }],
    ['a stray SSL_CERT_FILE becomes the certificate', { LIBPROCESS_SSL_ENABLED: '1', SSL_CERT_FILE: '/etc/ssl/bundle.pem', LIBPROCESS_SSL_KEY_FILE: '/k' }, { certFile: '/etc/ssl/bundle.pem' }],
    ['LIBPROCESS_SSL_ beats SSL_', { SSL_ENABLED: 'false', LIBPROCESS_SSL_ENABLED: 'true', ...keys }, { enabled: true }],
    ['VERIFY_CERT is the older name of VERIFY_SERVER_CERT', { LIBPROCESS_SSL_ENABLED: '1', LIBPROCESS_SSL_VERIFY_CERT: 'true', ...keys }, { verifyServerCert: true }],
    ['REQUIRE_CLIENT_CERT implies VERIFY_SERVER_CERT', { LIBPROCESS_SSL_ENABLED: '1', LIBPROCESS_SSL_REQUIRE_CLIENT_CERT: 'true', ...keys }, { verifyServerCert: true, requireClientCert: true }],
    ['REQUIRE_CERT is the older name', { LIBPROCESS_SSL_ENABLED: '1', LIBPROCESS_SSL_REQUIRE_CERT: '1', ...keys }, { requireClientCert: true }],
    ['the canonical name beats its alias', { LIBPROCESS_SSL_ENABLED: '1', LIBPROCESS_SSL_VERIFY_SERVER_CERT: 'false', LIBPROCESS_SSL_VERIFY_CERT: 'true', ...keys }, { verifyServerCert: false }],
    ['VERIFICATION_DEPTH', { LIBPROCESS_SSL_ENABLED: '1', LIBPROCESS_SSL_VERIFICATION_DEPTH: '7', ...keys }, { verificationDepth: 7 }],
    ['VERIFY_DEPTH (docs spelling) when the code name is absent', { LIBPROCESS_SSL_ENABLED: '1', LIBPROCESS_SSL_VERIFY_DEPTH: '2', ...keys }, { verificationDepth: 2 }],
    ['ECDH_CURVE (docs spelling)', { LIBPROCESS_SSL_ENABLED: '1', LIBPROCESS_SSL_ECDH_CURVE: 'P-256', ...keys }, { ecdhCurves: 'P-256' }],
    ['openssl scheme', { LIBPROCESS_SSL_ENABLED: '1', LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME: 'openssl', ...keys }, { hostnameValidationScheme: 'openssl' }],
    ['CA file and directory', { LIBPROCESS_SSL_ENABLED: '1', LIBPROCESS_SSL_CA_FILE: '/ca.pem', LIBPROCESS_SSL_CA_DIR: '/cas', ...keys }, { caFile: '/ca.pem', caDir: '/cas' }],
    ['CIPHERS when set', { LIBPROCESS_SSL_ENABLED: '1', LIBPROCESS_SSL_CIPHERS: 'ECDHE-ECDSA-AES128-GCM-SHA256', ...keys }, { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }],
    ['TLS 1.3 on, 1.2 off', { LIBPROCESS_SSL_ENABLED: '1', LIBPROCESS_SSL_ENABLE_TLS_V1_3: 'true', LIBPROCESS_SSL_ENABLE_TLS_V1_2: 'false', ...keys }, { versions: ['TLSv1.3'] }],
    ['TLS 1.0 and 1.2', { LIBPROCESS_SSL_ENABLED: '1', LIBPROCESS_SSL_ENABLE_TLS_V1_0: '1', ...keys }, { versions: ['TLSv1', 'TLSv1.2'] }],
    ['other settings are not checked while SSL is off', { LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME: 'strict' }, { enabled: false }],
    ['unknown names are ignored', { LIBPROCESS_SSL_ENABLED: '1', LIBPROCESS_SSL_FROBNICATE: 'x', SSL_ANYTHING: 'y', ...keys }, { enabled: true }],
  ];
  for (const [what, env, expected] of cases) t.match(parseLibprocessSsl(env).ssl, expected, what);
});

t.test('warnings by input', async (t) => {
  const cases: Array<[string, Record<string, string>, string[]]> = [
    ['different values under both prefixes', { SSL_ENABLED: 'false', LIBPROCESS_SSL_ENABLED: 'true', ...keys }, ['Mismatched values for SSL environment variables SSL_ENABLED and LIBPROCESS_SSL_ENABLED']],
    ['the same value under both prefixes: no warning', { SSL_ENABLED: 'true', LIBPROCESS_SSL_ENABLED: 'true', ...keys }, []],
    ['an alias shadowed by the canonical name', { LIBPROCESS_SSL_ENABLED: '1', LIBPROCESS_SSL_VERIFY_SERVER_CERT: 'false', LIBPROCESS_SSL_VERIFY_CERT: 'true', ...keys }, ['LIBPROCESS_SSL_VERIFY_CERT is ignored: LIBPROCESS_SSL_VERIFY_SERVER_CERT is set too']],
    ['SSLv3', { LIBPROCESS_SSL_ENABLED: '1', LIBPROCESS_SSL_ENABLE_SSL_V3: 'true', ...keys }, ['LIBPROCESS_SSL_ENABLE_SSL_V3 is ignored: SSLv3 is not available to this executor']],
  ];
  for (const [what, env, warnings] of cases) t.same(parseLibprocessSsl(env).warnings, warnings, what);
});

t.test('bad values: an EnvironmentError naming the variable, with libprocess message', async (t) => {
  const loadFailed = 'Failed to load flags from environment variables prefixed by LIBPROCESS_SSL_ or SSL_ (deprecated): ';
  const cases: Array<[Record<string, string>, string, string]> = [
    [{ LIBPROCESS_SSL_ENABLED: 'yes' }, 'LIBPROCESS_SSL_ENABLED', `${loadFailed}Failed to load flag 'enabled': Failed to load value 'yes': Expecting a boolean (e.g., true or false)`],
    [{ LIBPROCESS_SSL_ENABLED: 'TRUE' }, 'LIBPROCESS_SSL_ENABLED', `${loadFailed}Failed to load flag 'enabled': Failed to load value 'TRUE': Expecting a boolean (e.g., true or false)`],
    [{ SSL_VERIFY_CERT: 'on' }, 'SSL_VERIFY_CERT', `${loadFailed}Failed to load flag 'verify_server_cert': Failed to load value 'on': Expecting a boolean (e.g., true or false)`],
    [{ LIBPROCESS_SSL_VERIFICATION_DEPTH: 'deep' }, 'LIBPROCESS_SSL_VERIFICATION_DEPTH', `${loadFailed}Failed to load flag 'verification_depth': Failed to load value 'deep': Failed to convert 'deep' to number`],
    [{ LIBPROCESS_SSL_CA_FILE: '' }, 'LIBPROCESS_SSL_CA_FILE', `${loadFailed}Failed to load flag 'ca_file': Missing value`],
    [{ LIBPROCESS_SSL_ENABLED: 'true', LIBPROCESS_SSL_CERT_FILE: '/c' }, 'LIBPROCESS_SSL_KEY_FILE', 'SSL requires key! NOTE: Set path with LIBPROCESS_SSL_KEY_FILE'],
    [{ LIBPROCESS_SSL_ENABLED: 'true', LIBPROCESS_SSL_KEY_FILE: '/k' }, 'LIBPROCESS_SSL_CERT_FILE', 'SSL requires certificate! NOTE: Set path with LIBPROCESS_SSL_CERT_FILE'],
    [{ LIBPROCESS_SSL_ENABLED: 'true', ...keys, SSL_HOSTNAME_VALIDATION_SCHEME: 'strict' }, 'SSL_HOSTNAME_VALIDATION_SCHEME', 'Unknown value for hostname_validation_scheme: strict'],
    [{ LIBPROCESS_SSL_ENABLED: 'true', ...keys, LIBPROCESS_SSL_ENABLE_TLS_V1_2: 'false' }, 'LIBPROCESS_SSL_ENABLE_TLS_V1_2', 'no TLS version is enabled (set one of LIBPROCESS_SSL_ENABLE_TLS_V1_0 … _V1_3 to true)'],
  ];
  for (const [env, variable, message] of cases) {
    t.throws(() => parseLibprocessSsl(env), { code: 'E_ENVIRONMENT', variable, message: `${variable}: ${message}` }, `${JSON.stringify(env)} → ${variable}`);
  }
});

t.test('version range: contiguous min–max, gaps excluded', async (t) => {
  t.same(versionRange(['TLSv1.2']), { min: 'TLSv1.2', max: 'TLSv1.2', excluded: [] });
  t.same(versionRange(['TLSv1', 'TLSv1.2']), { min: 'TLSv1', max: 'TLSv1.2', excluded: ['TLSv1.1'] });
  t.same(versionRange(['TLSv1.2', 'TLSv1.3']), { min: 'TLSv1.2', max: 'TLSv1.3', excluded: [] });
  t.throws(() => versionRange([]), RangeError);
});

t.test('verification depth: depth d allows d + 2 certificates (leaf to trust anchor)', async (t) => {
  const cases: Array<[number, number, boolean]> = [
    [2, 0, false],
    [3, 0, true],
    [6, 4, false],
    [7, 4, true],
  ];
  for (const [certificates, depth, tooLong] of cases) t.equal(chainTooLong(certificates, depth), tooLong, `${certificates} certificates at depth ${depth}`);
});

t.test("legacy name check: libprocess' order and messages", async (t) => {
  const names = (dns: string[], ip: string[] = [], cn?: string) => ({ dnsNames: dns, ipAddresses: ip, ...(cn !== undefined ? { commonName: cn } : {}) });
  const cases: Array<[string, Parameters<typeof legacyNameCheck>[0], string | undefined]> = [
    ['SAN dNSName equal to the name', { names: names(['agent.example', 'localhost'], [], 'x'), hostname: 'localhost', ip: '127.0.0.1', verifyIpAdd: false, requireClientCert: false }, undefined],
    ['no wildcard matching', { names: names(['*.example']), hostname: 'a.example', ip: '10.0.0.1', verifyIpAdd: false, requireClientCert: false }, 'Could not verify presented certificate with hostname a.example, IP 10.0.0.1'],
    ['CN equal to the name', { names: names([], [], 'localhost'), hostname: 'localhost', ip: '127.0.0.1', verifyIpAdd: false, requireClientCert: false }, undefined],
    ['CN differs', { names: names(['other'], [], 'other'), hostname: 'localhost', ip: '127.0.0.1', verifyIpAdd: false, requireClientCert: false }, 'Presented Certificate Name: other does not match peer hostname name: localhost'],
    ['no name, no VERIFY_IPADD: passes (client)', { names: names([]), ip: '10.0.0.1', verifyIpAdd: false, requireClientCert: false }, undefined],
    ['no name, no VERIFY_IPADD, REQUIRE_CLIENT_CERT', { names: names([]), ip: '10.0.0.1', verifyIpAdd: false, requireClientCert: true }, 'Cannot verify peer certificate: peer hostname unknown'],
    ['IP SAN with VERIFY_IPADD', { names: names([], ['10.0.0.1']), ip: '10.0.0.1', verifyIpAdd: true, requireClientCert: false }, undefined],
    ['IP SAN without VERIFY_IPADD is not looked at', { names: names([], ['10.0.0.1']), hostname: 'h', ip: '10.0.0.1', verifyIpAdd: false, requireClientCert: false }, 'Could not verify presented certificate with hostname h, IP 10.0.0.1'],
    ['IPv6 SANs never match (upstream reads 4 bytes)', { names: names([], ['::1']), ip: '::1', verifyIpAdd: true, requireClientCert: false }, 'Could not verify presented certificate with IP ::1'],
  ];
  for (const [what, input, expected] of cases) t.equal(legacyNameCheck(input), expected, what);
  t.same(parseSubjectAltName('DNS:localhost, IP Address:127.0.0.1, URI:spiffe://x, DNS:a.example'), { dnsNames: ['localhost', 'a.example'], ipAddresses: ['127.0.0.1'] });
  t.same(parseSubjectAltName(undefined), { dnsNames: [], ipAddresses: [] });
});

t.test('which setting a TLS failure points at', async (t) => {
  const ssl = (env: Record<string, string> = {}) => parseLibprocessSsl({ LIBPROCESS_SSL_ENABLED: '1', ...keys, ...env }).ssl;
  const cases: Array<[string | undefined, LibprocessSsl, string | undefined]> = [
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', ssl(), 'LIBPROCESS_SSL_CA_FILE'],
    ['SELF_SIGNED_CERT_IN_CHAIN', ssl({ SSL_CA_FILE: '/ca' }), 'SSL_CA_FILE'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', ssl({ LIBPROCESS_SSL_CA_DIR: '/cas' }), 'LIBPROCESS_SSL_CA_DIR'],
    ['CERT_CHAIN_TOO_LONG', ssl(), 'LIBPROCESS_SSL_VERIFICATION_DEPTH'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', ssl(), 'LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME'],
    ['ERR_LIBPROCESS_NO_DNS_NAME', ssl(), 'LIBPROCESS_SSL_VERIFY_IPADD'],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', ssl(), 'LIBPROCESS_SSL_CERT_FILE'],
    ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', ssl(), 'LIBPROCESS_SSL_CERT_FILE'],
    ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', ssl(), 'LIBPROCESS_SSL_ENABLE_TLS_V1_2'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', ssl(), 'LIBPROCESS_SSL_ENABLED'],
    ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', ssl(), 'LIBPROCESS_SSL_CIPHERS'],
    ['ECONNREFUSED', ssl(), undefined],
    [undefined, ssl(), undefined],
  ];
  for (const [code, settings, variable] of cases) t.equal(tlsFailureVariable(code, settings), variable, String(code));
});

t.test('an EPROTO carrying an OpenSSL reason gets the code node uses for it elsewhere', async (t) => {
  const cases: Array<[string | undefined, string, string | undefined]> = [
    ['EPROTO', 'write EPROTO 80CC4920D27F0000:error:0A00042E:SSL routines:ssl3_read_bytes:tlsv1 alert protocol version:../deps/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 70', 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'],
    ['EPROTO', 'write EPROTO 0A00010B:SSL routines:ssl3_get_record:wrong version number:', 'ERR_SSL_WRONG_VERSION_NUMBER'],
    ['EPROTO', 'write EPROTO', 'EPROTO'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    [undefined, 'x', undefined],
  ];
  for (const [code, message, expected] of cases) t.equal(tlsErrorCode(code, message), expected, message);
});
