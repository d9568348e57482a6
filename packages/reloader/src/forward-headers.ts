import type { IncomingMessage } from 'node:http';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);
const FORWARDED = new Set(['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto']);
const RESPONSE_DROP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'proxy-connection',
  'trailer',
  'upgrade',
]);
/** Connection header values that name no other header (the usual case: nothing more to drop). */
const PLAIN_CONNECTION = new Set(['keep-alive', 'close', 'Keep-Alive', 'Close']);

/** The request's headers in raw form, minus hop-by-hop ones, plus X-Forwarded-*. */
export function requestHeaders(req: IncomingMessage): string[] {
  const connection = req.headers.connection;
  const named =
    connection && !PLAIN_CONNECTION.has(connection)
      ? new Set(connection.split(',').map((token) => token.trim().toLowerCase()))
      : null;
  const raw = req.rawHeaders;
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name) && !FORWARDED.has(name) && !named?.has(name))
      headers.push(raw[i]!, raw[i + 1]!);
  }
  addForwarded(req, headers);
  return headers;
}

/** The app's response headers in raw form, minus hop-by-hop ones (Node frames the body again). */
export function responseHeaders(raw: string[]): string[] {
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!RESPONSE_DROP.has(raw[i]!.toLowerCase())) headers.push(raw[i]!, raw[i + 1]!);
  }
  return headers;
}

/** The head of an upgrade request as the app gets it: the request line and headers, X-Forwarded-* replaced. */
export function upgradeHead(req: IncomingMessage): string {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (!FORWARDED.has(raw[i]!.toLowerCase())) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  }
  const forwarded = addForwarded(req, []);
  for (let i = 0; i < forwarded.length; i += 2) lines.push(`${forwarded[i]}: ${forwarded[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Appends X-Forwarded-For (added to), -Proto and -Host (kept when a proxy in front set them). */
function addForwarded(req: IncomingMessage, headers: string[]): string[] {
  const remote = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  headers.push(
    'X-Forwarded-For',
    prior ? `${prior}, ${remote}` : remote,
    'X-Forwarded-Proto',
    String(req.headers['x-forwarded-proto'] ?? 'http'),
  );
  const host = req.headers['x-forwarded-host'] ?? req.headers.host;
  if (host) headers.push('X-Forwarded-Host', String(host));
  return headers;
}
