import { open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import type { Submodules } from './config.js';
import { GitSyncError } from './errors.js';
import { type GitContext, runGit } from './git.js';
import { type Layout, worktreePath } from './layout.js';

/** Written into the worktree's admin dir (never into the worktree) once the tree is complete. */
const COMPLETE = 'gitsync-complete';

export interface WorktreeOptions {
  submodules: Submodules;
  depth: number;
}

/** The admin dir git keeps for a worktree (`<root>/.git/worktrees/<name>`), read from its `.git` file. */
export async function adminDir(dir: string): Promise<string | null> {
  try {
    const text = await readFile(join(dir, '.git'), 'utf8');
    const match = /^gitdir:\s*(.+?)\s*$/m.exec(text);
    return match ? resolve(dir, match[1]!) : null;
  } catch {
    return null;
  }
}

/** Whether `dir` is a finished worktree for `hash` (a crash may leave half-made ones behind). */
export async function isComplete(dir: string, hash: string): Promise<boolean> {
  const admin = await adminDir(dir);
  if (!admin) return false;
  try {
    return (await readFile(join(admin, COMPLETE), 'utf8')).trim() === hash;
  } catch {
    return false;
  }
}

/**
 * Makes `<root>/.worktrees/<hash>` a complete checkout of `hash` (reusing a complete one), with
 * relative links between it and the repository so the volume works at any mount path.
 */
export async function createWorktree(
  ctx: GitContext,
  layout: Layout,
  hash: string,
  options: WorktreeOptions,
): Promise<string> {
  const dir = worktreePath(layout, hash);
  if (await isComplete(dir, hash)) return dir;
  if ((await exists(dir)) || (await exists(join(layout.gitDir, 'worktrees', hash)))) {
    await removeWorktree(ctx, layout, dir);
  }
  try {
    await checkOut(ctx, layout, dir, hash, options);
  } catch (error) {
    // A half-written tree holds disk space (after ENOSPC, the space a smaller revision needs) and
    // git's record of it would pin a commit that may lack objects; a stop leaves it to start-up repair.
    if (!ctx.stopSignal.aborted) await discardWorktree(layout, dir);
    throw error;
  }
  return dir;
}

async function checkOut(
  ctx: GitContext,
  layout: Layout,
  dir: string,
  hash: string,
  options: WorktreeOptions,
): Promise<void> {
  const what = `checking out ${hash.slice(0, 12)}`;
  await runGit(ctx, ['worktree', 'add', '--force', '--detach', '--quiet', dir, hash], {
    cwd: layout.root,
    code: 'E_WORKTREE',
    what,
  });
  const admin = await adminDir(dir);
  if (!admin) throw new GitSyncError('E_WORKTREE', `${what} failed: git wrote no ${dir}/.git file`);
  await makeLinksRelative(layout, dir, admin);
  await updateSubmodules(ctx, dir, options);
  await markComplete(layout, dir, hash);
}

async function updateSubmodules(ctx: GitContext, dir: string, options: WorktreeOptions): Promise<void> {
  // Without a .gitmodules there is nothing to update (and `git submodule` costs a process tree).
  if (options.submodules === 'off' || !(await exists(join(dir, '.gitmodules')))) return;
  const args = ['submodule', 'update', '--init'];
  if (options.submodules === 'recursive') args.push('--recursive');
  if (options.depth > 0) args.push('--depth', String(options.depth));
  await runGit(ctx, args, { cwd: dir, code: 'E_WORKTREE', what: 'updating submodules', remote: true });
}

/** Redoes the submodule checkouts of a worktree for another --submodules (a restart changed it). */
export async function reshapeSubmodules(
  ctx: GitContext,
  dir: string,
  options: WorktreeOptions,
): Promise<void> {
  if (!(await exists(join(dir, '.gitmodules')))) return;
  await runGit(ctx, ['submodule', 'deinit', '--all', '--force', '--quiet'], {
    cwd: dir,
    code: 'E_WORKTREE',
    what: 'removing submodule checkouts',
  });
  await updateSubmodules(ctx, dir, options);
}

/** Removes a worktree directory and git's record of it without running git (the sync may be timing out). */
async function discardWorktree(layout: Layout, dir: string): Promise<void> {
  const admin = await adminDir(dir);
  await rm(dir, { recursive: true, force: true });
  const record = admin?.startsWith(join(layout.gitDir, 'worktrees'))
    ? admin
    : join(layout.gitDir, 'worktrees', basename(dir));
  await rm(record, { recursive: true, force: true });
}

/** Records that `dir` holds all of `hash` (a recycled tree gets the mark once it is in place). */
export async function markComplete(layout: Layout, dir: string, hash: string): Promise<void> {
  const admin = await adminDir(dir);
  if (!admin) throw new GitSyncError('E_WORKTREE', `${dir} is not a git worktree: it has no .git file`);
  // The tree must be on disk before anyone can be pointed at it (both in one journal commit).
  await Promise.all([fsyncPath(dir), fsyncPath(layout.worktrees)]);
  await writeFile(join(admin, COMPLETE), `${hash}\n`);
  await fsyncPath(join(admin, COMPLETE));
}

/**
 * git 2.39 has no worktree.useRelativePaths, so rewrite both links ourselves: the worktree's `.git`
 * file relative to the worktree, and the admin `gitdir` file relative to --root (git resolves it
 * from the repository's top level, where git-sync runs every command).
 */
async function makeLinksRelative(layout: Layout, dir: string, admin: string): Promise<void> {
  await writeFile(join(dir, '.git'), `gitdir: ${relative(dir, admin)}\n`);
  await writeFile(join(admin, 'gitdir'), `${relative(layout.root, join(dir, '.git'))}\n`);
}

/**
 * Marks an existing worktree complete when git agrees it is checked out at `hash`: a published tree
 * made by kubernetes/git-sync (or an older version) carries no marker but is whole.
 */
export async function adoptWorktree(
  ctx: GitContext,
  layout: Layout,
  dir: string,
  hash: string,
): Promise<boolean> {
  const admin = await adminDir(dir);
  if (!admin || !(await exists(admin))) return false;
  const head = await runGit(ctx, ['rev-parse', 'HEAD'], { cwd: dir, allowFail: true });
  if (head.exitCode !== 0 || head.stdout.trim() !== hash) return false;
  await makeLinksRelative(layout, dir, admin);
  await writeFile(join(admin, COMPLETE), `${hash}\n`);
  return true;
}

/** Removes a worktree directory and git's record of it. */
export async function removeWorktree(ctx: GitContext, layout: Layout, dir: string): Promise<void> {
  const admin = await adminDir(dir);
  await rm(dir, { recursive: true, force: true });
  if (admin?.startsWith(join(layout.gitDir, 'worktrees'))) await rm(admin, { recursive: true, force: true });
  await runGit(ctx, ['worktree', 'prune'], {
    cwd: layout.root,
    code: 'E_CLEANUP',
    what: 'git worktree prune',
  });
}

export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
