// Which kernel timer each established TCP socket on a local port has armed, from
// /proc/net/tcp{,6}: '02' is the keepalive timer (sk_timer), '00' none, '01' retransmit.
import { readFileSync } from 'node:fs';

export function tcpTimers(localPort: number): string[] {
  const hexPort = localPort.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      // local_address, state 01 (ESTABLISHED), tr:tm->when
      .filter((f) => f.length > 5 && f[1]!.endsWith(`:${hexPort}`) && f[3] === '01')
      .map((f) => f[5]!.split(':')[0]!),
  );
}
