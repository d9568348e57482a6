import { mkdir, readdir, rm, stat, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { GitGc } from './config.js';
import { removeFetchDebris } from './fetch-debris.js';
import { type GitContext, runGit } from './git.js';
import { HASH, type Layout, worktreePath } from './layout.js';
import { removeOrphanRecords } from './orphan-records.js';
import { tempLinkPrefix } from './publish.js';
import { removeStaleLocks } from './repo.js';
import { adoptWorktree, isComplete } from './worktree.js';

/** A kept worktree, newest first in `listRevisions`. */
export interface Revision {
  hash: string;
  /** When it stopped being published (its mtime), or when it was made. */
  since: Date;
}

/**
 * Start-up repair after a crash or kill -9: drop stale git locks, a killed fetch's partial objects,
 * reflogs and temp links, remove half-made worktrees (never the published one) and anything that is not a
 * worktree, prune git's records.
 */
export async function recover(ctx: GitContext, layout: Layout, published: string | null): Promise<string[]> {
  const removed = [
    ...(await removeStaleLocks(layout)),
    ...(await removeFetchDebris(layout.gitDir)),
    ...(await removeReflogs(layout)),
  ];
  const linkDir = dirname(layout.link);
  for (const entry of await readdir(linkDir).catch(() => [] as string[])) {
    if (entry.startsWith(tempLinkPrefix(layout))) {
      await rm(join(linkDir, entry), { force: true });
      removed.push(join(linkDir, entry));
    }
  }
  await mkdir(layout.worktrees, { recursive: true });
  for (const entry of await readdir(layout.worktrees)) {
    const dir = join(layout.worktrees, entry);
    if (entry === published) {
      if (!(await isComplete(dir, entry))) await adoptWorktree(ctx, layout, dir, entry);
      continue;
    }
    if (HASH.test(entry) && (await isComplete(dir, entry))) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  // a kill during `git worktree add` leaves a locked record that prune never removes
  removed.push(...(await removeOrphanRecords(layout)));
  // A repository without worktree records (a new root) has nothing to prune: no git process.
  const records = await readdir(join(layout.gitDir, 'worktrees')).catch(() => [] as string[]);
  if (records.length > 0) {
    await runGit(ctx, ['worktree', 'prune'], {
      cwd: layout.root,
      code: 'E_CLEANUP',
      what: 'git worktree prune',
    });
  }
  return removed;
}

/** Marks a replaced worktree's retirement time; --stale-worktree-timeout counts from here. */
export async function retire(layout: Layout, hash: string): Promise<void> {
  const now = new Date();
  await utimes(worktreePath(layout, hash), now, now).catch(() => {});
}

/**
 * Removes worktrees other than the published one once they have been retired for longer than
 * `staleMs` (0: at once), anything else in `.worktrees`, then lets git drop what they pinned
 * (as kubernetes/git-sync, with fewer git processes: one per update matters on a busy machine).
 */
export async function cleanup(
  ctx: GitContext,
  layout: Layout,
  published: string,
  staleMs: number,
  gc: GitGc,
  /** Offered each released worktree first; true when it took it (worktree recycling). */
  release: (dir: string) => Promise<boolean> = async () => false,
): Promise<number> {
  let removed = 0;
  let deleted = 0;
  const now = Date.now();
  for (const entry of await readdir(layout.worktrees)) {
    if (entry === published) continue;
    const dir = join(layout.worktrees, entry);
    const info = await stat(dir).catch(() => null);
    if (info?.isDirectory() && HASH.test(entry) && staleMs > 0 && now - info.mtimeMs < staleMs) continue;
    // A recycled tree left .worktrees all the same: what it pinned still needs the clean-up below.
    if (!(info?.isDirectory() && HASH.test(entry) && (await release(dir)))) {
      await rm(dir, { recursive: true, force: true });
      deleted++;
    }
    removed++;
  }
  if (removed === 0) return 0;
  const opts = { cwd: layout.root, code: 'E_CLEANUP' as const };
  // A recycled tree keeps its record (it moved with the tree): only deleted trees leave records to prune.
  if (deleted > 0) await runGit(ctx, ['worktree', 'prune'], { ...opts, what: 'git worktree prune' });
  if (gc === 'always') {
    // What `git gc` does for this repository — pack what is reachable, drop the rest at once —
    // without its other steps (reflogs: git-sync writes none and removes old ones at start-up;
    // refs to pack, worktrees to prune, rerere: none, or done above), a process each, every update.
    await runGit(ctx, ['repack', '-a', '-d', '-l', '-q'], { ...opts, what: 'git repack (--git-gc always)' });
    // Fetches keep packs (fetch.unpackLimit=1), so loose objects are rare: a commit made in a worktree.
    if (await hasLooseObjects(layout)) {
      await runGit(ctx, ['prune', '--expire=now'], { ...opts, what: 'git prune (--git-gc always)' });
    }
  } else if (gc !== 'off') {
    await runGit(ctx, ['gc', '--quiet', gc === 'auto' ? '--auto' : '--aggressive'], {
      ...opts,
      what: `git gc (--git-gc ${gc})`,
    });
  }
  return removed;
}

/** Whether any loose object is left (repack removes the ones it packed, and their empty directories). */
async function hasLooseObjects(layout: Layout): Promise<boolean> {
  const entries = await readdir(join(layout.gitDir, 'objects')).catch(() => [] as string[]);
  return entries.some((name) => /^[0-9a-f]{2}$/.test(name));
}

/**
 * Removes the reflogs of the repository and its worktrees (an older version, or kubernetes/git-sync,
 * wrote them): they would pin every revision ever checked out. git-sync's commands write none.
 */
async function removeReflogs(layout: Layout): Promise<string[]> {
  const logs = [join(layout.gitDir, 'logs')];
  for (const name of await readdir(join(layout.gitDir, 'worktrees')).catch(() => [] as string[])) {
    logs.push(join(layout.gitDir, 'worktrees', name, 'logs'));
  }
  const removed: string[] = [];
  for (const dir of logs) {
    if (!(await stat(dir).catch(() => null))) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/** The complete worktrees kept under `.worktrees`, published first, then newest first. */
export async function listRevisions(layout: Layout, published: string | null): Promise<Revision[]> {
  const out: Revision[] = [];
  for (const entry of await readdir(layout.worktrees).catch(() => [] as string[])) {
    if (!HASH.test(entry)) continue;
    const dir = join(layout.worktrees, entry);
    if (entry !== published && !(await isComplete(dir, entry))) continue;
    const info = await stat(dir).catch(() => null);
    if (info) out.push({ hash: entry, since: info.mtime });
  }
  return out.sort((a, b) =>
    a.hash === published ? -1 : b.hash === published ? 1 : b.since.getTime() - a.since.getTime(),
  );
}
