import { readFileSync } from 'node:fs';
import { lstat, readdir, realpath, rm, rmdir } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Logger } from '@gitpaas/core';

/** How many names the log line shows of what is about to be removed. */
const NAMES_SHOWN = 5;

/**
 * Removes everything in `root` (not `root` itself, often a mount point), as kubernetes/git-sync
 * does with a root that is not its repository, but never anything on another filesystem: a
 * mount point inside root (a volume, a tmpfs, a bind mount) and what it holds are left alone.
 * Logs what it removes before removing it. Returns the mount points it left.
 */
export async function clearRoot(root: string, logger: Logger): Promise<string[]> {
  const entries = await readdir(root);
  if (!entries.length) return [];
  logger.warn('root is not a usable git-sync repository, clearing it', {
    root,
    count: entries.length,
    first: entries.slice(0, NAMES_SHOWN),
  });
  const real = await realpath(root);
  const device = (await lstat(real)).dev;
  const mounts = mountPointsBelow(real);
  const kept: string[] = [];

  const remove = async (path: string): Promise<void> => {
    const info = await lstat(path).catch(() => null);
    if (!info) return;
    if (!info.isDirectory()) return rm(path, { force: true });
    if (info.dev !== device || mounts?.has(path)) {
      kept.push(path);
      return;
    }
    // No mount point below (known from the mount table): one recursive removal is enough.
    if (mounts && ![...mounts].some((mount) => mount.startsWith(path + sep))) {
      return rm(path, { recursive: true, force: true });
    }
    for (const entry of await readdir(path)) await remove(join(path, entry));
    // A mount point somewhere below keeps its parents.
    await rmdir(path).catch(() => {});
  };
  for (const entry of entries) await remove(join(real, entry));
  if (kept.length) logger.warn('left mount points inside root alone', { root, mountPoints: kept });
  return kept;
}

/**
 * Mount points strictly below `dir` from /proc/self/mountinfo (a bind mount of the same filesystem
 * has the same st_dev, so the device alone misses it); null where there is no such table, and then
 * every directory is compared by device.
 */
function mountPointsBelow(dir: string): Set<string> | null {
  let table: string;
  try {
    table = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return null;
  }
  const below = new Set<string>();
  for (const line of table.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    // Spaces, tabs, newlines and backslashes in paths are written as octal escapes.
    const path = field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
      String.fromCharCode(Number.parseInt(octal, 8)),
    );
    if (path.startsWith(dir + sep)) below.add(path);
  }
  return below;
}
