import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type GitContext, runGit } from './git.js';
import { type Layout, worktreePath } from './layout.js';
import { adminDir, isComplete } from './worktree.js';

/** What became of the published worktree since it was published. */
export type PublishedState =
  | { kind: 'intact' }
  /** Gone, emptied, or no longer a worktree git knows: it must be checked out again. */
  | { kind: 'missing' }
  /** A local commit or checkout moved its HEAD, or tracked files were deleted: a reset repairs it. */
  | { kind: 'changed'; change: string };

/**
 * Checks the published worktree at every poll, as kubernetes/git-sync does: present, HEAD still
 * at the published hash (read from git's admin files: no process), no tracked file deleted (one
 * `git ls-files --deleted`: about the cost of starting git for a small tree, tens of ms for 20k
 * files). Changed tracked files are left alone: the reloader's build step may write into the tree.
 */
export async function checkPublished(ctx: GitContext, layout: Layout, hash: string): Promise<PublishedState> {
  const dir = worktreePath(layout, hash);
  const admin = await adminDir(dir);
  if (!admin || !(await isComplete(dir, hash))) return { kind: 'missing' };
  const head = (await readFile(join(admin, 'HEAD'), 'utf8').catch(() => '')).trim();
  if (head !== hash) return { kind: 'changed', change: head ? `HEAD is now ${head}` : 'HEAD is unreadable' };
  const { stdout } = await runGit(ctx, ['ls-files', '--deleted', '-z'], {
    cwd: dir,
    code: 'E_WORKTREE',
    what: 'checking the published worktree',
  });
  const deleted = stdout.split('\0').filter(Boolean);
  if (deleted.length) {
    return {
      kind: 'changed',
      change: `${deleted.length} tracked files deleted (${deleted.slice(0, 3).join(', ')})`,
    };
  }
  return { kind: 'intact' };
}

/**
 * Puts a changed published worktree back at its hash, detached as git-sync made it (a branch
 * someone checked out there keeps its commits); untracked files (a build's output) stay.
 */
export async function resetPublished(ctx: GitContext, layout: Layout, hash: string): Promise<void> {
  await runGit(ctx, ['checkout', '--force', '--quiet', '--detach', hash, '--'], {
    cwd: worktreePath(layout, hash),
    code: 'E_WORKTREE',
    what: `repairing the published worktree ${hash.slice(0, 12)}`,
  });
}
