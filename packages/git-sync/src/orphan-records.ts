import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Layout } from './layout.js';
import { recyclePoolDir } from './recycle.js';
import { adminDir } from './worktree.js';

/**
 * Removes git's worktree records (`<root>/.git/worktrees/<name>`) that no directory under
 * `.worktrees` points at. A `git worktree add` killed half-way leaves its record locked
 * ("initializing"), which `git worktree prune` never removes; such a record would also pin its
 * commit's objects against gc. git-sync owns the repository, so any record without a tree is stale.
 */
export async function removeOrphanRecords(layout: Layout): Promise<string[]> {
  const records = join(layout.gitDir, 'worktrees');
  const used = new Set<string>();
  // Retired trees waiting to be recycled keep their records too.
  for (const parent of [layout.worktrees, recyclePoolDir(layout.gitDir)]) {
    for (const entry of await readdir(parent).catch(() => [] as string[])) {
      const admin = await adminDir(join(parent, entry));
      if (admin) used.add(admin);
    }
  }
  const removed: string[] = [];
  for (const name of await readdir(records).catch(() => [] as string[])) {
    const record = join(records, name);
    if (used.has(record)) continue;
    await rm(record, { recursive: true, force: true });
    removed.push(record);
  }
  return removed;
}
