import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BindAddress, controlServerOptions } from '@gitpaas/core';
import type { Registry } from 'prom-client';
import { GitSyncError } from './errors.js';
import type { Trigger } from './trigger.js';

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

export interface GitSyncRoutesOptions {
  /** Whether a sync has succeeded (GET / answers 200, else 503). */
  ready(): boolean;
  status(): unknown;
  /** Served on GET /metrics, redacted; null leaves /metrics to someone else (no --http-metrics). */
  metrics: { registry: Registry; redact(text: string): string } | null;
  trigger: Trigger;
}

/** git-sync's paths: GET / (ready or not), GET /status, GET /metrics, POST /sync (the trigger). */
export function gitSyncRoutes({ ready, status, metrics, trigger }: GitSyncRoutesOptions): HttpRoutes {
  const routes = new HttpRoutes();
  routes.add('GET', '/', (_req, res) => {
    res.writeHead(ready() ? 200 : 503, { 'Content-Type': 'text/plain' });
    res.end(ready() ? 'ok\n' : 'not synced yet\n');
  });
  routes.add('GET', '/status', (_req, res) => sendJson(res, 200, status()));
  if (metrics) {
    routes.add('GET', '/metrics', async (_req, res) => {
      const body = metrics.redact(await metrics.registry.metrics());
      res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
      res.end(body);
    });
  }
  routes.add('POST', '/sync', (req, res) => trigger.handle(req, res));
  return routes;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(`${JSON.stringify(body, null, 2)}\n`);
}

/**
 * Starts git-sync's own server on --http-bind (`shown` as the user wrote it); 404 for paths that
 * are not ours. Clients trickling headers or a body are cut (core's controlServerOptions).
 */
export async function listen(address: BindAddress, shown: string, routes: HttpRoutes): Promise<Server> {
  // Loaded with --http-bind only: a git-sync without a server does not pay for node:http at start-up.
  const { createServer } = await import('node:http');
  const server = createServer(controlServerOptions, (req, res) => {
    if (!routes.handle(req, res)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new GitSyncError(
          'E_HTTP_BIND',
          `cannot listen on --http-bind ${shown}: ${error.code ?? error.message}; choose a free port or address`,
          { cause: error },
        ),
      ),
    );
    server.listen(address.port, address.host, () => resolve());
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
