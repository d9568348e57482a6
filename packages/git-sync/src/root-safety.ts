import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';

/** Top-level directories of a Unix system (FHS and common extras): never a --root, whatever they hold. */
const SYSTEM_DIRS = new Set([
  'bin',
  'boot',
  'dev',
  'etc',
  'home',
  'lib',
  'lib32',
  'lib64',
  'libx32',
  'lost+found',
  'media',
  'mnt',
  'nix',
  'opt',
  'proc',
  'root',
  'run',
  'sbin',
  'snap',
  'srv',
  'sys',
  'tmp',
  'usr',
  'var',
  'Applications',
  'Library',
  'System',
  'Users',
  'Volumes',
  'private',
]);

export interface RootContext {
  cwd: string;
  home: string;
}

/**
 * Why `root` must not be --root, or null: git-sync clears whatever it does not recognise in --root,
 * so a filesystem root, a top-level system directory, the user's home (or a parent of it) or a
 * parent of the working directory would lose data. Checked on the path as given and as resolved
 * through symlinks (`/lib` may be `/usr/lib`).
 */
export function rootProblem(
  root: string,
  context: RootContext = { cwd: process.cwd(), home: homedir() },
): string | null {
  const asGiven = resolve(root);
  const real = realPath(asGiven);
  const home = realPath(resolve(context.home));
  const cwd = realPath(resolve(context.cwd));
  for (const path of new Set([asGiven, real])) {
    if (dirname(path) === path) return 'is the root of the filesystem';
    if (dirname(path) === dirname(dirname(path)) && SYSTEM_DIRS.has(basename(path)))
      return `is the system directory ${path}`;
  }
  if (real === home) return 'is your home directory';
  if (isInside(home, real)) return `contains your home directory (${home})`;
  if (isInside(cwd, real)) return `contains the working directory (${cwd})`;
  return null;
}

/** Whether `path` lies strictly below `dir`. */
function isInside(path: string, dir: string): boolean {
  return path !== dir && path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/** `path` with every existing part resolved through symlinks (the rest, not made yet, kept as written). */
function realPath(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realPath(parent), basename(path));
  }
}
