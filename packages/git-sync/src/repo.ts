import { constants } from 'node:fs';
import { access, mkdir, readdir, realpath, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { clearRoot } from './clear-root.js';
import { GitSyncError } from './errors.js';
import { type GitContext, runGit } from './git.js';
import type { Layout } from './layout.js';

/**
 * Makes --root a usable git repository. Root belongs to git-sync: when it holds something that is
 * not a healthy repository of ours, its contents are cleared (not the directory itself, nor mount
 * points inside it), as kubernetes/git-sync does. Dangerous roots were refused by the options.
 */
export async function ensureRepo(ctx: GitContext, layout: Layout, thorough = true): Promise<void> {
  // After the first full check of a process, a cheap look is enough: only someone wiping root breaks it.
  if (!thorough && (await stat(join(layout.gitDir, 'HEAD')).catch(() => null))?.isFile()) return;
  try {
    await mkdir(layout.root, { recursive: true });
    await access(layout.root, constants.W_OK | constants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new GitSyncError(
      'E_ROOT',
      `cannot use --root ${layout.root}: ${code}; make it writable by this user or choose another --root`,
      { cause: error },
    );
  }
  if (await isOurRepo(ctx, layout)) return;
  await clearRoot(layout.root, ctx.logger);
  await runGit(ctx, ['init', '-q', '-b', 'git-sync'], {
    cwd: layout.root,
    code: 'E_ROOT',
    what: 'git init in --root',
  });
}

async function isOurRepo(ctx: GitContext, layout: Layout): Promise<boolean> {
  try {
    if (!(await stat(join(layout.gitDir, 'HEAD'))).isFile()) return false;
  } catch {
    return false;
  }
  const top = await runGit(ctx, ['rev-parse', '--show-toplevel'], { cwd: layout.root, allowFail: true });
  if (top.exitCode !== 0) return false;
  return top.stdout.trim() === (await realpath(layout.root));
}

/**
 * Removes lock files a killed git left behind; git refuses to run while they exist, and nothing
 * else writes this repository, so a lock found at start-up is always stale.
 */
export async function removeStaleLocks(layout: Layout): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'objects' && depth < 6) await walk(path, depth + 1);
      } else if (entry.name.endsWith('.lock')) {
        await rm(path, { force: true });
        removed.push(path);
      }
    }
  };
  await walk(layout.gitDir, 0);
  return removed;
}
