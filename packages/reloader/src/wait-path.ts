import { lstat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReloaderError } from './errors.js';
import { formatMs } from './format.js';
import { readLinkTarget } from './link-watch.js';

const POLL_MS = 100;

/**
 * Waits for the watched path to exist (and, for a link, to point at something), because the
 * reloader may start before git-sync's first publish. Throws E_WATCH_MISSING after timeoutMs (0 = forever).
 */
export async function waitForPath(path: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
  for (;;) {
    signal.throwIfAborted();
    if (await usable(path)) return;
    if (Date.now() >= deadline) {
      throw new ReloaderError(
        'E_WATCH_MISSING',
        `--watch ${path}: still missing after --wait-timeout ${formatMs(timeoutMs)}; check the path (is git-sync publishing there?) or raise --wait-timeout`,
      );
    }
    await sleep(POLL_MS, undefined, { signal }).catch(() => {});
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
