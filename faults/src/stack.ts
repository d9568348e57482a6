import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '@gitpaas/test-utils';
import { APP, APP_HANDOFF_FLAGS, BinProcess, cleanEnv } from './bins.js';
import type { FaultCase } from './fault-case.js';
import { getJson, served } from './http.js';

export interface SyncStatus {
  publishedHash: string | null;
  consecutiveFailures: number;
  syncCount: number;
  lastSyncDurationMs: number | null;
  lastError: { code: string; message: string } | null;
}

export interface Release {
  id: number;
  revision: string | null;
  outcome: 'starting' | 'live' | 'failed' | 'superseded' | 'retired';
  reason?: string;
  times: { switchedAt?: string; endedAt?: string };
}

export interface ReloaderStatus {
  current: Release | null;
  /** The live app's pid. */
  pid: number | null;
  releases: Release[];
}

/** Where a stack keeps its files, under one temp dir. */
export class StackPaths {
  readonly root: string;
  readonly link: string;
  readonly stateDir: string;
  readonly errorFile: string;
  readonly pidFile: string;
  constructor(readonly dir: string) {
    this.root = join(dir, 'root');
    this.link = join(this.root, 'app');
    this.stateDir = join(dir, 'state');
    this.errorFile = join(dir, 'sync-error.json');
    this.pidFile = join(dir, 'pids');
  }
}

export interface StackOptions {
  /** Flags added to (or overriding) git-sync's defaults here. */
  syncArgs?: string[];
  /** Flags added to the reloader's defaults here. */
  reloaderArgs?: string[];
  /** Environment added for both bins. */
  env?: Record<string, string>;
}

/**
 * The two-container shape as two processes: the git-sync bin publishing `<dir>/root/app`, the
 * reloader bin running the fault app from it on a public port, each with its HTTP server.
 */
export class TwoBins {
  sync!: BinProcess;
  reloader!: BinProcess;
  /** Every git-sync process started (restarts included), for the secret scan. */
  readonly syncRuns: BinProcess[] = [];

  private constructor(
    readonly paths: StackPaths,
    readonly repo: string,
    readonly port: number,
    readonly syncPort: number,
    readonly reloaderPort: number,
    private readonly options: StackOptions,
  ) {}

  /** Starts both bins in `dir`; they are stopped when the case ends. */
  static async start(c: FaultCase, dir: string, repo: string, options: StackOptions = {}): Promise<TwoBins> {
    const stack = new TwoBins(
      new StackPaths(dir),
      repo,
      await freePort(),
      await freePort(),
      await freePort(),
      options,
    );
    c.defer(() => stack.stop());
    await mkdir(stack.paths.stateDir, { recursive: true });
    stack.startSync();
    stack.startReloader();
    return stack;
  }

  get syncUrl(): string {
    return `http://127.0.0.1:${this.syncPort}`;
  }

  get reloaderUrl(): string {
    return `http://127.0.0.1:${this.reloaderPort}`;
  }

  /** git-sync's flags: retry forever with a short period and backoff, keep replaced trees 2 min. */
  syncArgs(extra: string[] = []): string[] {
    return [
      ...['--repo', this.repo, '--root', this.paths.root, '--link', 'app', '--ref', 'main'],
      ...['--period', '500ms', '--max-failures', '-1', '--max-sync-backoff', '2s'],
      ...['--stale-worktree-timeout', '2m', '--error-file', this.paths.errorFile],
      ...['--http-bind', `127.0.0.1:${this.syncPort}`, '--http-metrics'],
      ...(this.options.syncArgs ?? []),
      ...extra,
    ];
  }

  /** Starts git-sync (again, after a kill), with `extra` flags. */
  startSync(extra: string[] = []): BinProcess {
    this.sync = new BinProcess('git-sync', this.syncArgs(extra), { env: cleanEnv(this.options.env) });
    this.syncRuns.push(this.sync);
    return this.sync;
  }

  private startReloader(): void {
    const { paths } = this;
    this.reloader = new BinProcess(
      'reloader',
      [
        ...['--watch', paths.link, '--port', String(this.port), '--host', '127.0.0.1'],
        ...APP_HANDOFF_FLAGS,
        ...[
          '--state-dir',
          paths.stateDir,
          '--http-bind',
          `127.0.0.1:${this.reloaderPort}`,
          '--wait-timeout',
          '0',
        ],
        ...(this.options.reloaderArgs ?? []),
        ...['--', process.execPath, APP],
      ],
      { env: cleanEnv({ FAULTS_PID_FILE: paths.pidFile, ...this.options.env }) },
    );
  }

  syncStatus(): Promise<SyncStatus> {
    return getJson<SyncStatus>(`${this.syncUrl}/status`);
  }

  reloaderStatus(): Promise<ReloaderStatus> {
    return getJson<ReloaderStatus>(`${this.reloaderUrl}/status`);
  }

  /** Waits until the public port serves `hash` (the live release's revision). */
  serving(hash: string, timeout?: number): Promise<void> {
    return served(this.port, hash, timeout);
  }

  /** Stops both bins (each stops what it started). */
  async stop(): Promise<void> {
    await Promise.all([this.sync.stop(), this.reloader.stop()]);
  }
}
