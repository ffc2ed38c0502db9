// `host:port` as the executor's, the switchboard's and the metrics endpoint's settings
// spell it: a name or IPv4 address, or an IPv6 address in brackets, then a port.

export interface HostPort {
  /** Without the brackets of an IPv6 address. */
  host: string;
  /** 0 to 65535; whether 0 ("any free port") is acceptable is the caller's rule. */
  port: number;
}

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

/** undefined when `text` is not host:port or the port is above 65535; callers word the error. */
export function parseHostPort(text: string): HostPort | undefined {
  const m = HOST_PORT.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: (m[1] ?? m[2])!, port };
}

/** Back to text, with brackets around an IPv6 address (a URL's authority). */
export function formatHostPort({ host, port }: HostPort): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
