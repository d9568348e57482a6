import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Emitter, Logger } from '@gitpaas/core';
import type { Registry } from 'prom-client';
import type { GitSyncEvents } from './events.js';
import type { RollbackResult } from './rollback.js';
import type { GitSyncStatus } from './status.js';

/** A git-sync: the sync loop, its HTTP routes, its status, and typed events (`on('publish', …)`). */
export interface GitSync extends Pick<Emitter<GitSyncEvents>, 'on' | 'once' | 'off'> {
  /** Starts the loop (and the HTTP server when httpBind is set). With oneTime, resolves after the first successful sync and rejects when it gives up. */
  start(): Promise<void>;
  /** Stops within about a second: a running git is killed, nothing is half-published. */
  stop(): Promise<void>;
  /** Syncs now; calls coalesce (at most one running and one queued). Rejects when that sync fails. */
  syncNow(reason?: string): Promise<void>;
  /**
   * Publishes a revision kept here (or fetched by hash) instead of the ref's and pins it until the
   * ref moves or clearRollback(); no revision: the previous kept one. Rejects when it cannot.
   */
  rollback(revision?: string): Promise<RollbackResult>;
  /** Ends a rollback and syncs the ref again; false when none was in effect. */
  clearRollback(): Promise<boolean>;
  /** JSON-able and redacted. */
  status(): GitSyncStatus;
  /** Removes every secret git-sync knows (URL credentials, password, password-file contents) from text. */
  redact(text: string): string;
  readonly registry: Registry;
  /** Answers GET /, GET /status, GET /metrics (with httpMetrics), POST /sync, POST and DELETE /rollback; false for paths that are not its own. */
  handleHttp(req: IncomingMessage, res: ServerResponse): boolean;
  /** The address of the built-in server (useful with port 0), null without httpBind. */
  httpAddress(): AddressInfo | null;
}

/** What a git-sync gets besides its options: where it logs, and whether anything reads its metrics. */
export interface GitSyncRuntime {
  logger?: Logger;
  /**
   * False when nothing will read the metrics (the bin without an HTTP server): none are kept and
   * prom-client is never loaded; `registry` is then an empty one. Default true.
   */
  metrics?: boolean;
}
