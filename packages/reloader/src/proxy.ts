import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { ReloaderError } from './errors.js';
import type { Upstream } from './upstream.js';

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

export interface ProxyHooks {
  /** A proxied request got a response from a child (status as the child sent it). */
  onResponse(status: number): void;
  /** A request or upgrade could not be proxied (`no-upstream`, `upstream`); detail is the error code. */
  onError(kind: 'no-upstream' | 'upstream', detail?: string): void;
}

/**
 * The public side of the handoff: every request and upgrade goes to whichever upstream is
 * active when it arrives; switching is a pointer swap, so nothing is refused mid-switch.
 */
export class HandoffProxy {
  readonly server: Server;
  private active: Upstream | null = null;

  constructor(private readonly hooks: ProxyHooks) {
    this.server = createServer((req, res) => this.forward(req, res, false));
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
    this.server.on('clientError', (_error, socket: Socket) => {
      if (socket.writable)
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'EADDRINUSE' || error.code === 'EACCES'
            ? new ReloaderError(
                'E_PORT_IN_USE',
                `--port ${port}: ${host}:${port} is ${error.code === 'EACCES' ? 'not allowed' : 'already in use'}; stop whatever holds it or choose another --port`,
                { cause: error },
              )
            : error,
        );
      };
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
  }

  setActive(upstream: Upstream | null): void {
    this.active = upstream;
  }

  /** Stops accepting connections; idle client keep-alive connections are closed now, the rest on `closeAll`. */
  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    return closed;
  }

  closeAll(): void {
    this.server.closeAllConnections();
  }

  private forward(req: IncomingMessage, res: ServerResponse, retried: boolean): void {
    const upstream = this.active;
    if (!upstream) {
      this.hooks.onError('no-upstream');
      sendError(res, 502, 'no release is live yet\n');
      return;
    }
    upstream.begin();
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      upstream.end();
    };
    const out = request({
      host: '127.0.0.1',
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: requestHeaders(req),
      agent: upstream.agent,
    });
    out.on('response', (answer) => {
      this.hooks.onResponse(answer.statusCode ?? 0);
      const raw = answer.rawHeaders;
      const headers: string[] = [];
      for (let i = 0; i < raw.length; i += 2) {
        if (!RESPONSE_DROP.has(raw[i]!.toLowerCase())) headers.push(raw[i]!, raw[i + 1]!);
      }
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    out.on('close', finish);
    out.on('error', (error: NodeJS.ErrnoException) => {
      finish();
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // A pooled connection the child closed just as we reused it, or a child that went away
      // after a switch: an idempotent request without a body can safely go once more.
      if (!retried && retriable(req) && (out.reusedSocket || this.active !== upstream) && !req.destroyed) {
        this.forward(req, res, true);
        return;
      }
      this.hooks.onError('upstream', error.code ?? error.message);
      sendError(res, 502, `the app did not answer (${error.code ?? 'error'})\n`);
    });
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    if (retried || !hasBody(req)) out.end();
    else req.pipe(out);
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const upstream = this.active;
    if (!upstream) {
      this.hooks.onError('no-upstream');
      socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    upstream.addUpgraded(socket);
    const conn = connect({ port: upstream.port, host: '127.0.0.1' });
    let connected = false;
    conn.setNoDelay(true);
    socket.setNoDelay(true);
    socket.setTimeout(0);
    conn.on('connect', () => {
      connected = true;
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      const raw = req.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) {
        if (!FORWARDED.has(raw[i]!.toLowerCase())) lines.push(`${raw[i]}: ${raw[i + 1]}`);
      }
      const forwarded = forwardedFor(req);
      for (let i = 0; i < forwarded.length; i += 2) lines.push(`${forwarded[i]}: ${forwarded[i + 1]}`);
      conn.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) conn.write(head);
      socket.pipe(conn);
      conn.pipe(socket);
    });
    conn.on('error', (error: NodeJS.ErrnoException) => {
      if (!connected) {
        this.hooks.onError('upstream', error.code ?? error.message);
        socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      } else socket.destroy();
    });
    conn.on('close', () => socket.destroy());
    socket.on('error', () => conn.destroy());
    socket.on('close', () => conn.destroy());
  }
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

function retriable(req: IncomingMessage): boolean {
  return IDEMPOTENT.has(req.method ?? '') && !hasBody(req);
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** The request's headers in raw form, minus hop-by-hop ones, plus X-Forwarded-*. */
function requestHeaders(req: IncomingMessage): string[] {
  const connection = req.headers.connection;
  const named = connection ? new Set(connection.split(',').map((token) => token.trim().toLowerCase())) : null;
  const raw = req.rawHeaders;
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name) && !FORWARDED.has(name) && !named?.has(name))
      headers.push(raw[i]!, raw[i + 1]!);
  }
  headers.push(...forwardedFor(req));
  return headers;
}

/** X-Forwarded-For (appended to), -Proto and -Host (kept when a proxy in front set them). */
function forwardedFor(req: IncomingMessage): string[] {
  const remote = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  const headers = [
    'X-Forwarded-For',
    prior ? `${prior}, ${remote}` : remote,
    'X-Forwarded-Proto',
    String(req.headers['x-forwarded-proto'] ?? 'http'),
  ];
  const host = req.headers['x-forwarded-host'] ?? req.headers.host;
  if (host) headers.push('X-Forwarded-Host', String(host));
  return headers;
}

function sendError(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
