import { lstat } from 'node:fs/promises';
import { waitFor } from '@gitpaas/core';
import { ReloaderError } from './errors.js';
import { formatMs } from './format.js';
import { readLinkTarget } from './link-watch.js';

const POLL_MS = 100;

/**
 * Waits for the watched path to exist (and, for a link, to point at something), because the
 * reloader may start before git-sync's first publish. Throws E_WATCH_MISSING after timeoutMs
 * (0 = forever), or the signal's reason once it aborts.
 */
export async function waitForPath(path: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  try {
    await waitFor(() => usable(path), {
      timeout: timeoutMs > 0 ? timeoutMs : Number.POSITIVE_INFINITY,
      interval: POLL_MS,
      signal,
    });
  } catch (error) {
    signal.throwIfAborted();
    throw new ReloaderError(
      'E_WATCH_MISSING',
      `--watch ${path}: still missing after --wait-timeout ${formatMs(timeoutMs)}; check the path (is git-sync publishing there?) or raise --wait-timeout`,
      { cause: error },
    );
  }
}

async function usable(path: string): Promise<boolean> {
  try {
    const stat = await lstat(path);
    return !stat.isSymbolicLink() || (await readLinkTarget(path)) !== null;
  } catch {
    return false;
  }
}
