// One host:port parser for the agent endpoint (MESOS_AGENT_ENDPOINT, in env.test.ts), the
// switchboard's address and the metrics address; each caller words its own error and rule.
import t from 'tap';
import { formatHostPort, parseHostPort } from '../../common/host-port.js';
import { parseMetricsAddress } from '../../metrics/endpoint.js';
import { switchboardOptionsFromEnv } from '../../switchboard/config.js';

t.test('parseHostPort: names, IPv4, bracketed IPv6; everything else undefined', async (t) => {
  const cases: [string, ReturnType<typeof parseHostPort>][] = [
    ['127.0.0.1:5051', { host: '127.0.0.1', port: 5051 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['agent-1.example.com:65535', { host: 'agent-1.example.com', port: 65535 }],
    ['[::1]:9100', { host: '::1', port: 9100 }],
    ['[fe80::1:2]:80', { host: 'fe80::1:2', port: 80 }],
    // input: not host:port → undefined (the caller's error)
    ['127.0.0.1', undefined],
    [':5051', undefined],
    ['127.0.0.1:', undefined],
    ['::1:9100', undefined],
    ['[::1]', undefined],
    ['host:65536', undefined],
    ['host:123456', undefined],
    ['host:-1', undefined],
    ['host:50 51', undefined],
    ['http://host:80', undefined],
    ['ho_st:80', undefined],
  ];
  for (const [text, expected] of cases) t.same(parseHostPort(text), expected, JSON.stringify(text));
  t.equal(formatHostPort({ host: '::1', port: 80 }), '[::1]:80');
  t.equal(formatHostPort({ host: '10.0.0.5', port: 5051 }), '10.0.0.5:5051');
});

t.test('the three settings through the one parser, each with its own error and rule', async (t) => {
  t.same(parseMetricsAddress(' [::1]:0 '), { host: '::1', port: 0 }, 'metrics: trimmed, port 0 allowed');
  // input: port above 65535 → error: MetricsAddressError naming the variable
  t.throws(() => parseMetricsAddress('127.0.0.1:70000'), { code: 'E_METRICS_ADDRESS', message: 'MESOS_SIDECAR_METRICS_ADDRESS="127.0.0.1:70000" is not host:port (e.g. 127.0.0.1:9100 or [::1]:0)' });
  t.match(switchboardOptionsFromEnv({ MESOS_SIDECAR_SWITCHBOARD_ADDRESS: '[::1]:0' }), { host: '::1', port: 0 });
  // input: no port → error: SwitchboardConfigError naming the variable
  t.throws(() => switchboardOptionsFromEnv({ MESOS_SIDECAR_SWITCHBOARD_ADDRESS: '127.0.0.1' }), { code: 'E_SWITCHBOARD_CONFIG', message: /expected HOST:PORT \(e\.g\. 127\.0\.0\.1:0 or \[::1\]:5051\), got '127\.0\.0\.1'/ });
});
