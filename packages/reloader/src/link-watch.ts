import { type FSWatcher, watch } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '@gitpaas/core';

/** What the watched link points at: the resolved release directory and its revision (the hash). */
export interface LinkTarget {
  revision: string;
  dir: string;
}

/** Reads the link; null while it does not exist or points nowhere (a flip in progress). */
export async function readLinkTarget(path: string): Promise<LinkTarget | null> {
  try {
    const dir = await realpath(path);
    return { revision: basename(dir), dir };
  } catch {
    return null;
  }
}

/** Bursts of directory events are checked once, this long after the first. */
const COALESCE_MS = 20;
/** Safety net when file events are not available (no inotify, some network volumes). */
const FALLBACK_POLL_MS = 1000;

/**
 * Revision-mode detection: watches only the link's parent directory (never the tree behind it)
 * and confirms every event with readlink, so one flip is one change however many files changed.
 */
export class LinkWatcher {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private poller: NodeJS.Timeout | null = null;
  private checking = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly path: string,
    private last: string | null,
    private readonly pollMs: number,
    private readonly onChange: (target: LinkTarget) => void,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.pollMs > 0) {
      this.poll(this.pollMs);
      return;
    }
    try {
      const name = basename(this.path);
      this.watcher = watch(dirname(this.path), { persistent: true }, (_event, file) => {
        if (!file || file.toString() === name) this.schedule();
      });
      this.watcher.on('error', (error) => this.fallBack(error));
    } catch (error) {
      this.fallBack(error);
    }
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearTimeout(this.timer);
    if (this.poller) clearInterval(this.poller);
  }

  private fallBack(error: unknown): void {
    this.watcher?.close();
    this.watcher = null;
    this.logger.warn('cannot watch the link directory; polling it every second instead (or set --poll)', {
      error: String(error),
    });
    this.poll(FALLBACK_POLL_MS);
  }

  private poll(ms: number): void {
    this.poller = setInterval(() => void this.check(), ms);
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.check();
    }, COALESCE_MS);
  }

  private async check(): Promise<void> {
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = true;
    try {
      do {
        this.again = false;
        const target = await readLinkTarget(this.path);
        if (this.stopped) return;
        this.logger.debug('link checked', { path: this.path, target: target?.dir ?? null });
        if (target && target.dir !== this.last) {
          this.last = target.dir;
          this.onChange(target);
        }
      } while (this.again);
    } finally {
      this.checking = false;
    }
  }
}

/** True when `path` is a symlink (revision mode), false for anything else. */
export async function isSymlink(path: string): Promise<boolean> {
  return (await lstat(path)).isSymbolicLink();
}
