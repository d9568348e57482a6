import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Emitter } from '@gitpaas/core';
import type { Registry } from 'prom-client';
import type { Release } from './ledger.js';

export interface OutputEvent {
  /** The release (ledger id) whose build or app printed the line. */
  release: number;
  revision: string | null;
  stream: 'stdout' | 'stderr';
  line: string;
  /** build: the install or build step of a release; app: the app itself. */
  phase: 'build' | 'app';
}

export interface CrashEvent {
  revision: string | null;
  code: number | null;
  signal: string | null;
  restartInMs: number;
}

/** The reloader's events and their listeners' arguments. A listener that throws is logged, never breaks a deploy. */
export interface ReloaderEvents {
  /** A release reached an outcome: live, failed, superseded or retired. */
  release: [Release];
  /** Traffic (or, without --port, the running process) moved to this release. */
  switch: [Release];
  output: [OutputEvent];
  crash: [CrashEvent];
}

export interface ReloaderStatus {
  /** revision: watching a link; directory: watching a directory; command: nothing watched. */
  mode: 'revision' | 'directory' | 'command';
  /** The release serving now (or last started, while it restarts after a crash). */
  current: Release | null;
  pid: number | null;
  /** How long the current process has been running. */
  uptimeMs: number;
  /** Newest first. */
  releases: Release[];
}

/** What createReloader returns; `on`/`once`/`off` are typed by ReloaderEvents. */
export interface Reloader extends Pick<Emitter<ReloaderEvents>, 'on' | 'once' | 'off'> {
  /** Waits for the watched path (up to waitTimeout), then runs the first release; resolves once it is live or has failed (a retry is then scheduled). */
  start(): Promise<void>;
  /** Stops watching, stops every child's whole process group (stop signal, then SIGKILL after stopTimeout), closes the ports. */
  stop(): Promise<void>;
  status(): ReloaderStatus;
  /** After stop(): the exit status of the live child (its code, or 128 + signal), 0 when none ran. */
  readonly exitCode: number;
  readonly registry: Registry;
  /**
   * Serves GET /status, GET /metrics and the dashboard's paths (GET /, /api/state, /events, /logs;
   * with git-sync over --sync-url, POST /sync and POST/DELETE /rollback relayed to it); returns
   * false for any other path so a host server can route it.
   */
  handleHttp(req: IncomingMessage, res: ServerResponse): boolean;
}
