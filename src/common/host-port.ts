/** A `host:port` split: `[::1]:80` gives host `::1`; an empty host is `127.0.0.1`. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Splits `host:port` (`127.0.0.1:8474`, `[::1]:80`, `:8474`). The port is `NaN` when the text
 * has none; callers that take user input validate it (see the executor's `listen` schema).
 * @example
 * splitHostPort('[::1]:8474') // { host: '::1', port: 8474 }
 */
export function splitHostPort(listen: string): HostPort {
  const i = listen.lastIndexOf(':');
  let host = i < 0 ? listen : listen.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host: host === '' ? '127.0.0.1' : host, port: i < 0 ? Number.NaN : Number(listen.slice(i + 1)) };
}

/** Joins a host and a port, bracketing IPv6 hosts: `[::1]:80`. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
