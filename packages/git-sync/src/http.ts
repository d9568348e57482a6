import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GitSyncError } from './errors.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** The paths git-sync answers, mountable on someone else's server (`handle` says false for others). */
export class HttpRoutes {
  private readonly routes = new Map<string, Map<string, RouteHandler>>();

  add(method: string, path: string, handler: RouteHandler): void {
    const byMethod = this.routes.get(path) ?? new Map<string, RouteHandler>();
    byMethod.set(method.toUpperCase(), handler);
    this.routes.set(path, byMethod);
  }

  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const byMethod = this.routes.get(path);
    if (!byMethod) return false;
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const handler = byMethod.get(method);
    if (!handler) {
      res.writeHead(405, { Allow: [...byMethod.keys()].join(', '), 'Content-Type': 'text/plain' });
      res.end('method not allowed\n');
      return true;
    }
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(error instanceof GitSyncError ? `${error.message}\n` : 'internal error\n');
    });
    return true;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(`${JSON.stringify(body, null, 2)}\n`);
}

/** Parses `host:port`, `:port` (all interfaces, as Go) or `[::1]:port`. */
export function parseBind(bind: string): { host: string | undefined; port: number } {
  const colon = bind.lastIndexOf(':');
  const host = bind.slice(0, colon).replace(/^\[|\]$/g, '');
  return { host: host || undefined, port: Number(bind.slice(colon + 1)) };
}

/** Starts git-sync's own server for --http-bind; 404 for paths that are not ours. */
export async function listen(bind: string, routes: HttpRoutes): Promise<Server> {
  const server = createServer((req, res) => {
    if (!routes.handle(req, res)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
    }
  });
  const { host, port } = parseBind(bind);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new GitSyncError(
          'E_HTTP_BIND',
          `cannot listen on --http-bind ${bind}: ${error.code ?? error.message}; choose a free port or address`,
          { cause: error },
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  return server;
}

export function boundAddress(server: Server): AddressInfo | null {
  const address = server.address();
  return typeof address === 'object' ? address : null;
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
