import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseBind } from '@gitpaas/core';
import type { Registry } from 'prom-client';
import { ReloaderError } from './errors.js';
import type { Running } from './launch.js';
import type { Ledger } from './ledger.js';
import type { ReloaderStatus } from './types.js';

/** How many releases GET /status lists. */
const STATUS_RELEASES = 20;

/** The status document: the mode, the live release and its process, the latest releases. */
export function statusOf(mode: ReloaderStatus['mode'], live: Running | null, ledger: Ledger): ReloaderStatus {
  const running = live && !live.child.exit;
  return {
    mode,
    current: live?.release ?? null,
    pid: running ? (live.child.pid ?? null) : null,
    uptimeMs: running ? Date.now() - live.startedAt : 0,
    releases: ledger.releases.slice(0, STATUS_RELEASES),
  };
}

/**
 * Answers GET /status (JSON), GET /metrics (Prometheus) and GET /ready (200 while a release is
 * live and running, else 503: a readiness probe that works for any app); false for any other path.
 */
export function serveStatus(
  req: IncomingMessage,
  res: ServerResponse,
  status: () => ReloaderStatus,
  registry: Registry,
): boolean {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/status' && path !== '/metrics' && path !== '/ready') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('use GET\n');
    return true;
  }
  if (path === '/ready') {
    const { current, pid } = status();
    const live = current?.outcome === 'live' && pid !== null;
    res
      .writeHead(live ? 200 : 503, { 'content-type': 'text/plain', 'cache-control': 'no-store' })
      .end(live ? `live: release ${current.id}\n` : 'no release is live yet\n');
    return true;
  }
  if (path === '/status') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(status(), null, 2)}\n`);
    return true;
  }
  registry.metrics().then(
    (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
    (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
  );
  return true;
}

/** The --http-bind server: `handle` answers, anything it does not is 404. */
export async function listenStatus(
  bind: string,
  handle: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<Server> {
  const { host, port } = parseBind(bind, '--http-bind');
  const server = createServer((req, res) => {
    if (!handle(req, res)) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'EADDRINUSE'
          ? new ReloaderError(
              'E_PORT_IN_USE',
              `--http-bind ${bind}: the port is already in use; choose another`,
              {
                cause: error,
              },
            )
          : error,
      ),
    );
    server.listen(port, host, () => done());
  });
  return server;
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
}
