import { resolve } from 'node:path';
import { ReloaderError } from './errors.js';
import { isSymlink, LinkWatcher, readLinkTarget } from './link-watch.js';
import type { ResolvedOptions } from './options.js';
import type { ReloaderStatus } from './types.js';
import { waitForPath } from './wait-path.js';

/** What a release runs: a revision's directory (or the watched directory, or the working directory). */
export interface Target {
  /** The commit hash in revision mode; null otherwise. */
  revision: string | null;
  dir: string;
  /** Why this target runs when it is not simply the newest (a rollback). */
  note?: string;
}

/** The watch that is running: which mode it found, what to run first, and how to stop it. */
export interface Watching {
  mode: ReloaderStatus['mode'];
  first: Target;
  stop(): Promise<void>;
}

/**
 * Waits for --watch to appear, then watches it: a symlink in revision mode (one change per link
 * flip), a directory in directory mode (debounced file changes). Without --watch, nothing is
 * watched and the working directory runs. Resolves null when `signal` aborts first.
 */
export async function startWatching(
  options: ResolvedOptions,
  signal: AbortSignal,
  onChange: (target: Target) => void,
): Promise<Watching | null> {
  const { watch, cwd, logger } = options;
  if (!watch) return { mode: 'command', first: { revision: null, dir: resolve(cwd) }, stop: async () => {} };
  const path = resolve(cwd, watch);
  try {
    await waitForPath(path, options.waitTimeout, signal);
  } catch (error) {
    if (signal.aborted) return null;
    throw error;
  }
  if (await isSymlink(path)) {
    const first = await readLinkTarget(path);
    if (!first) throw new ReloaderError('E_WATCH_MISSING', `--watch ${path}: the link points nowhere`);
    const watcher = new LinkWatcher(path, first.dir, options.poll, onChange, logger);
    watcher.start();
    return { mode: 'revision', first, stop: async () => watcher.stop() };
  }
  // Loaded for directory mode only: chokidar is of no use to a reloader that watches a link.
  const { DirWatcher } = await import('./dir-watch.js');
  const watcher = new DirWatcher(path, options.ignore, options.debounce, options.maxWait, (files) => {
    logger.info('files changed', { files });
    onChange({ revision: null, dir: path });
  });
  await watcher.start();
  if (signal.aborted) {
    await watcher.stop();
    return null;
  }
  return { mode: 'directory', first: { revision: null, dir: path }, stop: () => watcher.stop() };
}
