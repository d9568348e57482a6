import { FlagError } from './options/errors.js';

export interface BindAddress {
  /** Undefined for `:port`: every interface (IPv6 and IPv4 where the host has both). */
  host: string | undefined;
  port: number;
}

/**
 * The one parser of listen addresses for every gitpaas flag that takes one: `127.0.0.1:8081`,
 * `[::1]:8081`, `localhost:8081`, or `:8081` for every interface (as Go's net.Listen reads it).
 * Port 0 picks a free port. Anything else is a usage error naming the flag.
 */
export function parseBind(text: string, flag = '--http-bind'): BindAddress {
  const match = /^(?:\[([0-9a-fA-F:.%\w]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text.trim());
  const example = 'e.g. 127.0.0.1:8081, [::1]:8081 or :8081';
  if (!match) throw new FlagError('E_BAD_FLAG', `${flag}: "${text}" is not host:port, ${example}`, flag);
  const port = Number(match[3]);
  if (port > 65535) {
    throw new FlagError('E_BAD_FLAG', `${flag}: port ${port} is out of range, use 0 to 65535`, flag);
  }
  const host = match[1] ?? match[2];
  return { host: host || undefined, port };
}

/** `host:port` as a URL authority (`[::1]:8081`), with every-interface binds shown as loopback. */
export function formatBind(host: string | undefined, port: number): string {
  const shown = !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}
