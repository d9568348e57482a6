import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

/** Where things live under --root (the layout contract in DESIGN.md, shared with kubernetes/git-sync). */
export interface Layout {
  root: string;
  /** `<root>/.git`: the one shared repository everything is fetched into. */
  gitDir: string;
  /** `<root>/.worktrees`: one directory per revision, named by full hash. */
  worktrees: string;
  /** Absolute path of the published symlink. */
  link: string;
}

export function layoutFor(root: string, link: string): Layout {
  const absRoot = resolve(root);
  return {
    root: absRoot,
    gitDir: join(absRoot, '.git'),
    worktrees: join(absRoot, '.worktrees'),
    link: isAbsolute(link) ? link : resolve(absRoot, link),
  };
}

export function worktreePath(layout: Layout, hash: string): string {
  return join(layout.worktrees, hash);
}

/** The link's target, relative to the link's own directory, so the volume can be mounted anywhere. */
export function linkTarget(layout: Layout, hash: string): string {
  return relative(dirname(layout.link), worktreePath(layout, hash));
}

/** Default --link: the last path element of --repo exactly as written (`project.git` stays). */
export function defaultLinkName(repo: string): string {
  const trimmed = repo.replace(/[/\\]+$/, '');
  return basename(trimmed.replace(/^[^/]*:(?!\/\/)/, '')) || trimmed;
}

export const HASH = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
