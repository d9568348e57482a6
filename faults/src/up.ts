import { mkdir } from 'node:fs/promises';
import { freePort } from '@gitpaas/test-utils';
import { APP, APP_HANDOFF_FLAGS, BinProcess, cleanEnv } from './bins.js';
import type { FaultCase } from './fault-case.js';
import { getJson, served } from './http.js';
import type { ReloaderStatus, SyncStatus } from './stack.js';
import { StackPaths } from './stack.js';

export interface UpOptions {
  /** Flags added to the defaults here. */
  args?: string[];
  /** Environment of `gitpaas up` (added to a clean one). */
  env?: Record<string, string>;
}

/** `gitpaas up` as a process: both halves and one HTTP server (status, metrics, trigger, dashboard). */
export class Up {
  readonly bin: BinProcess;

  private constructor(
    readonly paths: StackPaths,
    readonly port: number,
    readonly httpPort: number,
    repoArgs: string[],
    options: UpOptions,
  ) {
    this.bin = new BinProcess(
      'gitpaas',
      [
        'up',
        ...repoArgs,
        ...['--root', paths.root, '--link', 'app', '--ref', 'main', '--state-dir', paths.stateDir],
        ...['--period', '1s', '--max-sync-backoff', '2s', '--error-file', paths.errorFile],
        ...[
          '--port',
          String(port),
          '--host',
          '127.0.0.1',
          '--http-bind',
          `127.0.0.1:${httpPort}`,
          '--http-metrics',
        ],
        ...APP_HANDOFF_FLAGS,
        ...['--log-format', 'json'],
        ...(options.args ?? []),
        ...['--', process.execPath, APP],
      ],
      { env: cleanEnv({ FAULTS_PID_FILE: paths.pidFile, ...options.env }) },
    );
  }

  /**
   * Starts `gitpaas up` in `dir` on `repoArgs` (`--repo URL`, or none when GITSYNC_REPO is in the
   * env); it is stopped when the case ends.
   */
  static async start(c: FaultCase, dir: string, repoArgs: string[], options: UpOptions = {}): Promise<Up> {
    const paths = new StackPaths(dir);
    await mkdir(paths.stateDir, { recursive: true });
    const up = new Up(paths, await freePort(), await freePort(), repoArgs, options);
    c.defer(() => up.bin.stop());
    return up;
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  status(): Promise<{ sync: SyncStatus; reloader: ReloaderStatus }> {
    return getJson(`${this.url}/status`);
  }

  /** Waits until the public port serves `hash`. */
  serving(hash: string, timeout?: number): Promise<void> {
    return served(this.port, hash, timeout);
  }
}
