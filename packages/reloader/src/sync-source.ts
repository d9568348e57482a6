import { type IncomingMessage, request, type ServerResponse } from 'node:http';
import { request as requestTls } from 'node:https';
import { FlagError, formatBind, type Logger, parseBind } from '@gitpaas/core';

/** git-sync's status document (GET /status of git-sync), as the dashboard reads it. */
export type SyncStatus = Record<string, unknown>;

/**
 * Where the dashboard learns about git-sync and sends what changes it: in process for `gitpaas
 * up`, over HTTP (`--sync-url`) when git-sync runs in a container of its own.
 */
export interface SyncSource {
  /** The current status, or null while git-sync cannot be asked. */
  status(): Promise<SyncStatus | null>;
  /** Calls `listener` when the status may have changed; returns how to stop. */
  watch(listener: () => void): () => void;
  /**
   * Passes POST /sync and POST/DELETE /rollback on to git-sync (false for other requests). In
   * process the host routes those to git-sync itself, so this is absent.
   */
  relay?(req: IncomingMessage, res: ServerResponse): boolean;
}

/** The requests git-sync answers that change its state. */
const RELAYED: Record<string, string[]> = { '/sync': ['POST'], '/rollback': ['POST', 'DELETE'] };
/** How often a watched git-sync is asked for its status. */
const POLL_MS = 2000;
const STATUS_TIMEOUT_MS = 3000;

/** `--sync-url` as a base URL: an http(s) URL, or git-sync's --http-bind (`host:port`). */
export function syncBaseUrl(value: string): URL {
  try {
    if (value.includes('://')) {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return url;
    } else {
      const { host, port } = parseBind(value, '--sync-url');
      return new URL(`http://${formatBind(host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host, port)}`);
    }
  } catch (error) {
    if (error instanceof FlagError) throw error;
  }
  throw new FlagError(
    'E_BAD_FLAG',
    `--sync-url: "${value}" is not git-sync's address: use its --http-bind, e.g. http://127.0.0.1:8081`,
    '--sync-url',
  );
}

/** The fields whose change is worth telling a dashboard about (not every poll's timestamps). */
function fingerprint(status: SyncStatus | null): string {
  if (!status) return 'null';
  const { publishedHash, state, lastError, pinned, rejected, consecutiveFailures, lastSyncOutcome } = status;
  return JSON.stringify({
    publishedHash,
    state,
    lastError,
    pinned,
    rejected,
    consecutiveFailures,
    lastSyncOutcome,
  });
}

/**
 * git-sync over HTTP: its /status read on demand and, while someone watches, every two seconds;
 * state changes relayed with the caller named in X-Forwarded-For, so git-sync still sees who asks
 * (its loopback rule holds through this hop) and checks the same signature or bearer secret.
 */
export function httpSyncSource(value: string, logger: Logger): SyncSource {
  const base = syncBaseUrl(value);
  const send = base.protocol === 'https:' ? requestTls : request;
  const listeners = new Set<() => void>();
  let timer: NodeJS.Timeout | null = null;
  let last = '';

  const status = async (): Promise<SyncStatus | null> => {
    try {
      const response = await fetch(new URL('/status', base), {
        signal: AbortSignal.timeout(STATUS_TIMEOUT_MS),
        headers: { accept: 'application/json' },
      });
      if (!response.ok) return null;
      return (await response.json()) as SyncStatus;
    } catch (error) {
      logger.debug('git-sync does not answer at --sync-url', { url: base.href, error: String(error) });
      return null;
    }
  };

  const poll = async () => {
    const now = fingerprint(await status());
    if (now !== last) {
      last = now;
      for (const listener of listeners) listener();
    }
    if (listeners.size > 0) timer = setTimeout(() => void poll(), POLL_MS);
    else timer = null;
  };

  return {
    status,
    watch(listener) {
      listeners.add(listener);
      if (!timer) timer = setTimeout(() => void poll(), POLL_MS);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer) {
          clearTimeout(timer);
          timer = null;
        }
      };
    },
    relay(req, res) {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (!RELAYED[path]?.includes(req.method ?? '')) return false;
      const headers = { ...req.headers };
      delete headers.host;
      delete headers.connection;
      const caller = req.socket.remoteAddress ?? 'unknown';
      headers['x-forwarded-for'] = headers['x-forwarded-for']
        ? `${headers['x-forwarded-for']}, ${caller}`
        : caller;
      const upstream = send(new URL(path, base), { method: req.method, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', (error) => {
        logger.warn('cannot reach git-sync at --sync-url', { url: base.href, error: error.message });
        if (res.headersSent) return void res.destroy();
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(
          `${JSON.stringify({ outcome: 'error', detail: `git-sync does not answer at ${base.origin}` })}\n`,
        );
      });
      // A caller that gives up takes the relayed request with it.
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
      return true;
    },
  };
}
