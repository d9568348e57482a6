import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { controlServerOptions, parseBind, type ScopedLogger, silentLogger } from '@gitpaas/core';
import { createGitSync, type GitSync } from '@gitpaas/git-sync';
import { createReloader, type Reloader, type SyncSource } from '@gitpaas/reloader';
import pc from 'picocolors';
import { CliError } from './errors.js';
import { createProgress, type Progress } from './progress.js';
import type { UpConfig } from './up-options.js';

/** A running `gitpaas up`: git-sync and the reloader in one process, behind one HTTP server. */
export interface Up {
  readonly gitSync: GitSync;
  readonly reloader: Reloader;
  /** `http://host:port` of the shared HTTP server, or undefined when it is off. */
  readonly url: string | undefined;
  /** Listens, starts the sync loop, then waits for the first revision and starts it. */
  start(): Promise<void>;
  /** Rejects when the sync loop gives up (--max-failures reached); never resolves. */
  readonly failed: Promise<never>;
  /** The combined status document served on GET /status. */
  status(): { sync: ReturnType<GitSync['status']>; reloader: ReturnType<Reloader['status']> };
  stop(): Promise<void>;
}

/** git-sync as the dashboard's sync source: its status and events, in this process. */
function inProcess(gitSync: GitSync): SyncSource {
  const events = ['sync', 'publish', 'reject', 'error', 'pin', 'unpin'] as const;
  return {
    status: async () => ({ ...gitSync.status() }),
    watch(listener) {
      for (const event of events) gitSync.on(event, listener);
      return () => {
        for (const event of events) gitSync.off(event, listener);
      };
    },
  };
}

function noProgress(): Progress {
  return createProgress({ write: () => {}, colors: pc.createColors(false), interactive: false }, false);
}

function short(hash: string | null | undefined): string {
  return hash ? hash.slice(0, 7) : '(dir)';
}

/** Listens, turning EADDRINUSE into one line that names the flag. */
async function listen(server: Server, bind: string, flag: string): Promise<string> {
  const { host, port } = parseBind(bind, flag);
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(
        error.code === 'EADDRINUSE'
          ? new CliError(
              'E_PORT_IN_USE',
              `${flag}: ${bind} is already in use: stop what uses it or pass ${flag} with another port`,
              { cause: error },
            )
          : new CliError('E_USAGE', `${flag}: cannot listen on ${bind}: ${error.message}`, { cause: error }),
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${shown}:${address.port}`;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Wires git-sync's and the reloader's events into the log stream and the spinner. */
function narrate(
  gitSync: GitSync,
  reloader: Reloader,
  logger: ScopedLogger,
  progress: Progress,
  json: boolean,
): void {
  const app = logger.child('app');
  const build = logger.child('build');
  gitSync.on('publish', (e) => progress.start(`building and starting ${short(e.hash)}…`));
  gitSync.on('reject', () => progress.stop());
  reloader.on('release', () => progress.stop());
  reloader.on('output', (e) => {
    const to = e.phase === 'build' ? build : app;
    if (json) to.info(e.line, { revision: e.revision, stream: e.stream });
    else to.info(`${progress.stream.colors.dim(`[${short(e.revision)}]`)} ${e.line}`);
  });
}

export interface UpOptions {
  config: UpConfig;
  /** Where git-sync, the reloader and the app log (silent by default: libraries never print). */
  logger?: ScopedLogger;
  /** The spinner of the bin; none by default. */
  progress?: Progress;
}

/**
 * git-sync, the reloader and the shared HTTP server, created but not started. `stop()` may be
 * called at any time, also while `start()` is still waiting for the first revision.
 */
export function createUp({ config, logger = silentLogger, progress = noProgress() }: UpOptions): Up {
  // git-sync keeps metrics only when GET /metrics serves them (prom-client is ~10 MB of memory).
  const metrics = Boolean(config.httpBind && config.httpMetrics);
  const gitSync = createGitSync({ ...config.sync, logger: logger.child('sync'), metrics });
  // Every secret git-sync knows (URL credentials, password, password-file contents as re-read).
  const redact = (text: string) => gitSync.redact(text);
  // The reloader watches the link exactly where git-sync resolves it (--link relative to --root);
  // it runs the app and its build without gitpaas's settings and scrubs what they print, and its
  // dashboard reaches git-sync in process.
  const watch = gitSync.status().link;
  const reloader = createReloader({
    ...config.reloader,
    watch,
    logger: logger.child('run'),
    sync: inProcess(gitSync),
    redact,
  });
  // With a finite --max-failures the sync loop can give up; then `up` ends with its error.
  const failed = new Promise<never>((_, reject) => gitSync.on('fatal', (e) => reject(e.error)));
  failed.catch(() => {});
  narrate(gitSync, reloader, logger, progress, config.logFormat === 'json');

  const status = () => ({ sync: gitSync.status(), reloader: reloader.status() });
  // git-sync redacts what it serves itself, the reloader what the app printed; what this server
  // assembles is scrubbed once more as a whole.
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    // `/` is the dashboard for a browser and git-sync's health check (200 once published) for probes.
    if (path === '/' && /\btext\/html\b/.test(String(req.headers.accept)) && reloader.handleHttp(req, res))
      return;
    if (path === '/status' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(redact(`${JSON.stringify(status(), null, 2)}\n`));
      return;
    }
    if (path === '/metrics' && config.httpMetrics && req.method === 'GET') {
      // Two registries, one scrape: each package names its metrics apart.
      const text = [await gitSync.registry.metrics(), await reloader.registry.metrics()].join('\n');
      res.writeHead(200, { 'content-type': gitSync.registry.contentType });
      res.end(redact(text));
      return;
    }
    if (gitSync.handleHttp(req, res) || reloader.handleHttp(req, res)) return;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try / (the dashboard), /status, /metrics, /logs or POST /sync\n');
  };
  // Slow clients (trickled headers or body) are cut, as on the bare git-sync's server.
  const server = createServer(controlServerOptions, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('HTTP request failed', { path: req.url, error: String(error) });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  let url: string | undefined;
  let stopping: Promise<void> | undefined;
  const stoppers: Array<() => Promise<unknown>> = [];
  const stop = () => {
    stopping ??= (async () => {
      progress.stop();
      // Newest first: the app stops before the sync loop and the server that reports on them.
      for (const stopOne of stoppers.reverse()) await stopOne().catch(() => {});
    })();
    return stopping;
  };
  return {
    gitSync,
    reloader,
    get url() {
      return url;
    },
    failed,
    status,
    stop,
    async start() {
      try {
        if (config.httpBind) {
          stoppers.push(() => closeServer(server));
          url = await listen(server, config.httpBind, '--http-bind');
        }
        if (stopping) return;
        progress.start(`syncing ${redact(config.sync.repo)}…`);
        stoppers.push(
          () => gitSync.stop(),
          () => reloader.stop(),
        );
        // The reloader listens on --port at once (a busy port fails fast), then waits for the
        // link that git-sync is about to publish.
        const reloaderStarted = reloader.start();
        await Promise.all([reloaderStarted, gitSync.start()]);
      } catch (error) {
        await stop();
        throw error;
      }
    },
  };
}
