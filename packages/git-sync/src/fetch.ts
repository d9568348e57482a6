import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GitSyncError } from './errors.js';
import { removeFetchDebris } from './fetch-debris.js';
import { type GitContext, runGit } from './git.js';
import { HASH } from './layout.js';
import { haveCommit } from './remote.js';

export interface FetchOptions {
  repo: string;
  depth: number;
  /** The repository under --root. */
  root: string;
}

function depthArgs(options: FetchOptions): string[] {
  if (options.depth > 0) return ['--depth', String(options.depth)];
  // --depth 0 means full history: a repository made shallow by an earlier run must be deepened.
  return existsSync(join(options.root, '.git', 'shallow')) ? ['--unshallow'] : [];
}

const COMMON = ['--no-tags', '--no-auto-gc', '--no-progress', '--no-recurse-submodules'];
// What a fetch brings stays one pack (not loose objects of 4 KiB of disk each), which the next
// repack merges or drops without a `git prune` walk.
const KEEP_PACK = ['-c', 'fetch.unpackLimit=1'];

/**
 * Runs `git fetch`; when it fails or is killed, removes what it left (partial objects and packs,
 * locks), so a full disk does not stay full and a later, smaller revision still fits.
 */
async function fetch(
  ctx: GitContext,
  options: FetchOptions,
  refspecs: string[],
  what: string,
): Promise<void> {
  try {
    const args = [...KEEP_PACK, 'fetch', ...COMMON, ...depthArgs(options), '--', options.repo, ...refspecs];
    await runGit(ctx, args, {
      cwd: options.root,
      code: 'E_GIT_FETCH',
      what,
      remote: true,
    });
  } catch (error) {
    const removed = await removeFetchDebris(join(options.root, '.git'));
    if (removed.length)
      ctx.logger.info('removed what the failed fetch left behind', { count: removed.length });
    throw error;
  }
}

/**
 * Fetches one ref (`refs/heads/main`, `HEAD`, or a full hash) and returns the commit it gave.
 * When FETCH_HEAD names the commit ls-remote announced (`expected`), that is the answer without
 * starting git again; with no announcement (a fetch that did not ask first), a branch or HEAD
 * names a commit there too. A tag object, or a ref that moved in between, is peeled by git.
 */
export async function fetchRef(
  ctx: GitContext,
  options: FetchOptions,
  ref: string,
  expected: string | null,
): Promise<string> {
  await fetch(ctx, options, [ref], `fetching ${ref}`);
  const head = await readFile(join(options.root, '.git', 'FETCH_HEAD'), 'utf8').catch(() => '');
  const [hash = '', , what = ''] = (head.split('\n')[0] ?? '').split('\t');
  const commit = expected
    ? hash === expected
    : HASH.test(hash) && (ref === 'HEAD' || what.startsWith("branch '"));
  if (commit) return hash;
  const { stdout } = await runGit(ctx, ['rev-parse', '--verify', 'FETCH_HEAD^{commit}'], {
    cwd: options.root,
    code: 'E_GIT_FETCH',
    what: 'reading the fetched commit',
  });
  return stdout.trim();
}

/**
 * Resolves an abbreviated hash: fetches the remote's branches and tags (to --depth) into a
 * scratch namespace, looks the prefix up among those commits, then drops the scratch refs so they
 * pin nothing.
 */
export async function fetchShortHash(
  ctx: GitContext,
  options: FetchOptions,
  prefix: string,
  onFetch: () => void,
  /** Fetch even when the commit is here (a restart deepened --depth). */
  refetch = false,
): Promise<string> {
  const local = refetch ? null : await lookup(ctx, options.root, prefix);
  if (local && (await haveCommit(ctx, options.root, local))) return local;
  onFetch();
  await fetch(
    ctx,
    options,
    ['+refs/heads/*:refs/gitsync-scan/heads/*', '+refs/tags/*:refs/gitsync-scan/tags/*'],
    `fetching branches and tags to find ${prefix}`,
  );
  try {
    const found = await lookup(ctx, options.root, prefix);
    if (found) return found;
  } finally {
    const { stdout } = await runGit(
      ctx,
      ['for-each-ref', '--format=delete %(refname)', 'refs/gitsync-scan/'],
      {
        cwd: options.root,
      },
    );
    if (stdout.trim())
      await runGit(ctx, ['update-ref', '--stdin'], { cwd: options.root, input: `${stdout}\n` });
  }
  throw new GitSyncError(
    'E_REF_NOT_FOUND',
    `--ref ${prefix} is not a branch or tag, and no commit within --depth ${options.depth || 'all'} of a branch or tag starts with it: use the full hash${options.depth > 0 ? ' or a larger --depth' : ''}`,
  );
}

async function lookup(ctx: GitContext, root: string, prefix: string): Promise<string | null> {
  const result = await runGit(ctx, ['rev-parse', '--verify', '-q', `${prefix}^{commit}`], {
    cwd: root,
    allowFail: true,
  });
  return result.exitCode === 0 ? result.stdout.trim() : null;
}
