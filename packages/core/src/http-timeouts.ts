import type { ServerOptions } from 'node:http';

/**
 * Options for `http.createServer` of gitpaas's own servers (health, status, metrics, the push
 * trigger), whose requests are small: a client that trickles its headers or body (slow-loris)
 * is answered 408 and cut within about 5 s (headers) or 10 s (whole request) instead of holding
 * a connection. Node's defaults (60 s, 300 s, checked every 30 s) would let a few such clients
 * hold the server for minutes. Not for a proxy in front of an app, whose uploads may be slow.
 */
export const controlServerOptions = {
  headersTimeout: 5000,
  requestTimeout: 10_000,
  connectionsCheckingInterval: 1000,
} as const satisfies ServerOptions;
