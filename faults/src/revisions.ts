import { existsSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { TestRemote } from '@gitpaas/test-utils';

/** How many files each prepared revision holds besides app.json: a checkout with some work in it. */
const FILES = 24;

/** The files of revision `label`: app.json (what the app does) and files that all say `label`. */
export function revisionFiles(label: string, app: Record<string, unknown> = {}): Record<string, string> {
  const files: Record<string, string> = { 'app.json': JSON.stringify({ label, ...app }) };
  for (let f = 0; f < FILES; f++) files[`tree/${f % 3}/file${f}.txt`] = `${label}\n`;
  return files;
}

/**
 * Commits `count` revisions (labels `${prefix}-1`…) on top of main without moving it (move it with
 * `remote.setBranch`, which is what a push does to the remote); returns their hashes in order.
 */
export function prepareRevisions(remote: TestRemote, count: number, prefix: string): Promise<string[]> {
  return remote.prepareCommits(count, (i) => revisionFiles(`${prefix}-${i}`));
}

/**
 * What the link names, checked whole: a relative link to `<root>/.worktrees/<hash>` whose every
 * file belongs to one revision. Null when there is no link yet; throws when the tree is not whole.
 */
export async function publishedRevision(
  root: string,
  link: string,
): Promise<{ hash: string; label: string } | null> {
  if (!existsSync(link)) return null;
  const target = await readlink(link);
  if (target.startsWith('/')) throw new Error(`the link is absolute: ${target}`);
  const hash = basename(target);
  const tree = resolve(dirname(link), target);
  if (tree !== join(root, '.worktrees', hash)) throw new Error(`the link names ${tree}, not a worktree`);
  const { label } = JSON.parse(await readFile(join(tree, 'app.json'), 'utf8')) as { label: string };
  if (existsSync(join(tree, 'tree'))) {
    for (let f = 0; f < FILES; f++) {
      const text = await readFile(join(tree, 'tree', String(f % 3), `file${f}.txt`), 'utf8');
      if (text !== `${label}\n`)
        throw new Error(`${hash.slice(0, 7)} is not whole: file${f}.txt says ${text}`);
    }
  }
  return { hash, label };
}
