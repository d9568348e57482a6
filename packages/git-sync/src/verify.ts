import { statSync } from 'node:fs';
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
 * at the published hash (read from git's admin files: no process), no tracked file deleted.
 * Deleting a file changes its directory's mtime, so while no tracked directory changed since a
 * check found nothing missing, the answer stands without a git process; otherwise one
 * `git ls-files --deleted` (tens of ms for 20k files) looks. Changed tracked files are left
 * alone: the reloader's build step may write into the tree.
 */
export async function checkPublished(ctx: GitContext, layout: Layout, hash: string): Promise<PublishedState> {
  const dir = worktreePath(layout, hash);
  const admin = await adminDir(dir);
  if (!admin || !(await isComplete(dir, hash))) return { kind: 'missing' };
  const head = (await readFile(join(admin, 'HEAD'), 'utf8').catch(() => '')).trim();
  if (head !== hash) return { kind: 'changed', change: head ? `HEAD is now ${head}` : 'HEAD is unreadable' };
  const known = quiet.get(dir);
  // Taken before git looks: a deletion after this shows at the next poll.
  const now = stamps(dir, known?.dirs ?? (await trackedDirs(ctx, dir)));
  if (known && now && sameStamps(known.stamps, now.stamps)) return { kind: 'intact' };
  quiet.delete(dir);
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
  if (now) remember(dir, now);
  return { kind: 'intact' };
}

interface Stamps {
  dirs: string[];
  stamps: bigint[];
}

/** Per published worktree: its tracked directories' mtimes when a check found no file missing. */
const quiet = new Map<string, Stamps>();
/** A process serves one or a few roots; older revisions' entries go. */
const MAX_QUIET = 8;

/** A directory changed this recently may change again within its filesystem's mtime granularity. */
const SETTLE_NS = 2_000_000_000n;

function remember(dir: string, stamps: Stamps): void {
  const recent = BigInt(Date.now()) * 1_000_000n - SETTLE_NS;
  if (stamps.stamps.some((mtime) => mtime > recent)) return;
  quiet.set(dir, stamps);
  for (const key of quiet.keys()) if (quiet.size > MAX_QUIET) quiet.delete(key);
}

/** The directories git tracks in the worktree (from its tree objects: no file is read), and itself. */
async function trackedDirs(ctx: GitContext, dir: string): Promise<string[]> {
  const { stdout } = await runGit(ctx, ['ls-tree', '-r', '-d', '--name-only', '-z', 'HEAD'], {
    cwd: dir,
    code: 'E_WORKTREE',
    what: 'listing the directories of the published worktree',
  });
  return ['', ...stdout.split('\0').filter(Boolean)];
}

/**
 * Their mtimes (ns) now; null when one is gone (then git looks at every file). One synchronous
 * stat each, at every poll: a few µs apiece on the local volume the root is, where a promise per
 * directory cost more CPU than the idle poll's git process (issue 15's idle figures).
 */
function stamps(dir: string, dirs: string[]): Stamps | null {
  const times: bigint[] = [];
  for (const name of dirs) {
    // git's clean relative names: a plain concatenation, not path.join (the poll's hottest line).
    const info = statSync(name ? `${dir}/${name}` : dir, { bigint: true, throwIfNoEntry: false });
    if (!info?.isDirectory()) return null;
    times.push(info.mtimeNs);
  }
  return { dirs, stamps: times };
}

function sameStamps(a: bigint[], b: bigint[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
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
