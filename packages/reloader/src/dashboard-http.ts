import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Emitter } from '@gitpaas/core';
import { Commits } from './commit-info.js';
import { dashboardPage } from './dashboard-page.js';
import { dashboardState } from './dashboard-state.js';
import { EventStream } from './event-stream.js';
import { shortRevision } from './format.js';
import type { Release } from './ledger.js';
import type { LogLine, LogStore } from './logs.js';
import type { SyncSource } from './sync-source.js';
import type { ReloaderEvents, ReloaderStatus } from './types.js';

/** A log follower this far behind (a stalled client) is cut off rather than buffered without end. */
const MAX_FOLLOW_BACKLOG = 1024 * 1024;

export interface DashboardOptions {
  status(): ReloaderStatus;
  /** The ledger's releases, newest first. */
  releases(): readonly Release[];
  events: Pick<Emitter<ReloaderEvents>, 'on'>;
  /** The per-release logs; null without --state-dir. */
  logs: LogStore | null;
  /** git-sync, in process or over --sync-url; null when there is none. */
  sync: SyncSource | null;
  /** Applied to everything served (the host's secrets); the logs are stored redacted already. */
  redact(text: string): string;
}

/**
 * The operator's endpoints on --http-bind: GET / (the dashboard page), GET /api/state (what it
 * shows, as JSON), GET /events (server-sent events when a release or the sync changes), GET /logs
 * (a release's output, `?follow=1` to stream it), and git-sync's POST /sync and /rollback relayed
 * when git-sync is reached over --sync-url.
 */
export class Dashboard {
  private readonly stream = new EventStream();
  private readonly commits = new Commits();
  private readonly followers = new Set<ServerResponse>();
  private unwatch: (() => void) | null = null;

  constructor(private readonly o: DashboardOptions) {
    const changed = (release: Release) =>
      this.stream.send('release', { id: release.id, outcome: release.outcome });
    o.events.on('release', changed);
    o.events.on('crash', () => this.stream.send('release', {}));
  }

  /** Answers the dashboard's paths; false for any other, so a host server can route it. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.o.sync?.relay?.(req, res)) return true;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = ROUTES[url.pathname];
    if (!route) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('use GET\n');
      return true;
    }
    route(this, req, res, url).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`${this.o.redact(String(error))}\n`);
    });
    return true;
  }

  /** Ends every stream (the server is closing). */
  close(): void {
    this.stream.close();
    for (const res of this.followers) res.end();
    this.followers.clear();
    this.unwatch?.();
    this.unwatch = null;
  }

  page(req: IncomingMessage, res: ServerResponse): void {
    const page = dashboardPage();
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy': page.contentSecurityPolicy,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(gzip ? page.gzip : page.html);
  }

  async state(res: ServerResponse): Promise<void> {
    const sync = this.o.sync;
    const doc = await dashboardState(
      this.o.status(),
      this.o.releases(),
      sync ? await sync.status() : null,
      sync !== null,
      this.commits,
    );
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(this.o.redact(`${JSON.stringify(doc, null, 2)}\n`));
  }

  events(req: IncomingMessage, res: ServerResponse): void {
    this.stream.add(req, res);
    // git-sync is watched (over HTTP: polled) only while a page listens.
    if (this.o.sync && !this.unwatch) this.unwatch = this.o.sync.watch(() => this.stream.send('sync', {}));
    req.on('close', () => {
      if (this.stream.size === 0) {
        this.unwatch?.();
        this.unwatch = null;
      }
    });
  }

  /** A release's stored output; `follow=1` streams it on, and without `release` every release's. */
  logs(res: ServerResponse, url: URL) {
    const store = this.o.logs;
    const text = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
    };
    if (!store) return text(404, 'this reloader keeps no logs: give it --state-dir\n');
    const asked = url.searchParams.get('release');
    if (asked !== null && !/^\d+$/.test(asked))
      return text(400, 'release must be a release number, e.g. ?release=12\n');
    const follow = url.searchParams.get('follow') === '1';
    const release = asked !== null ? Number(asked) : (this.o.status().current?.id ?? store.releases()[0]);
    // Read and subscribe in one tick: writes are synchronous, so no line is missed or repeated.
    const stored = release === undefined ? null : store.read(release);
    if (!follow) {
      return stored === null
        ? text(
            404,
            release === undefined
              ? 'no release has printed anything yet\n'
              : `release ${release} has no log\n`,
          )
        : text(200, stored);
    }
    res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    let shown = release;
    const heading = (id: number) => {
      const revision = this.o.releases().find((candidate) => candidate.id === id)?.revision ?? null;
      return `=== release ${id} (${shortRevision(revision)}) ===\n`;
    };
    if (asked === null && release !== undefined) res.write(heading(release));
    if (stored) res.write(stored);
    this.followers.add(res);
    const stop = store.follow((line: LogLine) => {
      if (asked !== null && line.release !== release) return;
      if (line.release !== shown) {
        shown = line.release;
        res.write(heading(line.release));
      }
      res.write(line.text);
      if (res.writableLength > MAX_FOLLOW_BACKLOG) {
        res.end('--- this reader fell too far behind; follow again to go on\n');
      }
    });
    res.on('close', () => {
      stop();
      this.followers.delete(res);
    });
  }
}

type Route = (dashboard: Dashboard, req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

const ROUTES: Record<string, Route> = {
  '/': async (d, req, res) => d.page(req, res),
  '/api/state': async (d, _req, res) => d.state(res),
  '/events': async (d, req, res) => d.events(req, res),
  '/logs': async (d, _req, res, url) => d.logs(res, url),
};
