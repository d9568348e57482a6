import { lstat, mkdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { GitSyncError } from './errors.js';
import { HASH, type Layout, linkTarget } from './layout.js';
import { fsyncPath } from './worktree.js';

/** Temp links are made beside the link (same directory, so rename() is atomic) with this prefix. */
export function tempLinkPrefix(layout: Layout): string {
  return `.${basename(layout.link)}.gitsync-tmp-`;
}

/**
 * Points the link at `.worktrees/<hash>` in one atomic step: a relative temp symlink renamed over
 * the old link. Readers see the old tree or the new one, never a missing or partial one.
 */
export async function publish(layout: Layout, hash: string): Promise<void> {
  const dir = dirname(layout.link);
  const temp = join(dir, `${tempLinkPrefix(layout)}${process.pid}`);
  // rename() would replace a file that is not ours (--link may point outside --root): only a link is replaced.
  const existing = await lstat(layout.link).catch(() => null);
  if (existing && !existing.isSymbolicLink()) {
    throw new GitSyncError(
      'E_PUBLISH',
      `cannot publish ${hash.slice(0, 12)} at --link ${layout.link}: it exists and is not a symlink (git-sync replaces only its own link); move it away or choose another --link`,
    );
  }
  try {
    await mkdir(dir, { recursive: true });
    await rm(temp, { force: true });
    await symlink(linkTarget(layout, hash), temp);
    await rename(temp, layout.link);
    await fsyncPath(dir);
    await recordPublishedRef(layout, hash);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw new GitSyncError(
      'E_PUBLISH',
      `cannot publish ${hash.slice(0, 12)} at --link ${layout.link}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; make sure the link's directory is writable and the link is not a directory`,
      { cause: error },
    );
  }
}

/**
 * Points `refs/gitpaas/published` at the published commit (written as git writes a loose ref: a
 * lock file renamed into place, no git process). Fetches offer the refs' commits to the server as
 * what the repository has, so an update transfers its diff instead of the whole tree again, as
 * kubernetes/git-sync gets from keeping its branch at the synced commit.
 */
export async function recordPublishedRef(layout: Layout, hash: string): Promise<void> {
  const ref = join(layout.gitDir, 'refs', 'gitpaas', 'published');
  const lock = `${ref}.lock`;
  await mkdir(dirname(ref), { recursive: true });
  await writeFile(lock, `${hash}\n`);
  await rename(lock, ref);
}

/** The hash the link points at now, or null before the first publish (or when it points elsewhere). */
export async function readPublished(layout: Layout): Promise<string | null> {
  try {
    const target = await readlink(layout.link);
    const hash = basename(target);
    return HASH.test(hash) ? hash : null;
  } catch {
    return null;
  }
}
