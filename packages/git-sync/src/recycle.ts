import { mkdir, readdir, readFile, realpath, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { type Logger, silentLogger, sleep } from '@gitpaas/core';
import type { Submodules } from './config.js';

export interface RecyclerOptions {
  /** The git-sync root: holds `.git` (the shared repository) and `.worktrees`. */
  root: string;
  /** Where retired worktrees wait; outside `.worktrees`, so consumers never see them. */
  poolDir?: string;
  /** How many retired worktrees to keep (default: `keep` + 2; for recycling alone one is enough, as each publish retires one). */
  maxPool?: number;
  /**
   * Revisions kept for a rollback (--keep-revisions): take() finds a kept tree of the asked hash
   * first, resets one of another hash only while more than this many wait (oldest first), and a
   * full pool makes room for a newly retired tree by dropping its oldest.
   */
  keep?: number;
  /** Whether take() may reset a tree of another hash (recycling); false takes trees back only for their own hash. */
  recycle?: boolean;
  /** With submodules on, revisions that have any are never recycled (their git dirs cannot move). */
  submodules?: Submodules;
  /** Environment for git (credentials helpers, config) when `git` is not given. */
  env?: NodeJS.ProcessEnv;
  /** Runs git (the sync loop passes its own runner: auth, timeouts, redaction). */
  git?: (cwd: string, args: string[], signal?: AbortSignal) => Promise<unknown>;
  /** The published link; the worktree it points at is never retired. */
  link?: string;
  logger?: Logger;
}

/** A retired worktree waiting in the pool: the hash it holds and when it was retired. */
export interface PooledRevision {
  hash: string;
  since: Date;
}

export interface Recycler {
  readonly poolDir: string;
  /** The revisions waiting in the pool, newest first (what a rollback finds without a checkout). */
  list(): Promise<PooledRevision[]>;
  /** Start-up repair: drops pool entries a crash left half-moved. Returns how many remain. */
  recover(): Promise<number>;
  /**
   * Takes a worktree that retention released (`<root>/.worktrees/<sha>`) into the pool.
   * False when it cannot (pool full, published, not a worktree): the caller deletes it as before.
   */
  retire(worktree: string): Promise<boolean>;
  /**
   * Materialises `<root>/.worktrees/<hash>` from a pooled worktree: the one kept at that hash
   * (tracked files restored, the build's untracked files kept), else one reset to the hash and
   * cleaned in the pool (unless it is `cleaned`, by clean() during this sync); renamed into
   * place complete. Null when none fits or the reset failed: the caller checks out a fresh worktree.
   */
  take(hash: string, signal?: AbortSignal, cleaned?: string | null): Promise<string | null>;
  /**
   * Cleans (`git clean -ffdxq`) the pooled tree take() resets for a revision not kept (recycling,
   * no kept revisions) ahead of time, while the revision is fetched; its directory, for take().
   */
  clean(signal?: AbortSignal): Promise<string | null>;
  /**
   * Keeps a worktree ready so that even the first update after a start is a reset, not a full
   * checkout: when no pooled tree could serve the next revision (none beyond the kept revisions),
   * checks out `hash` (the published revision) outside the pool and moves it in whole, marked as
   * the spare (never listed as a kept revision). False when there was no need or no room.
   */
  spare(hash: string, signal?: AbortSignal): Promise<boolean>;
}

/**
 * How an admin record's `gitdir` file names its worktree: absolute (git's own default),
 * relative to the root (git 2.39 resolves it from where git-sync runs git), or relative to the
 * admin directory (git's relative-worktrees extension).
 */
type LinkStyle = 'absolute' | 'root' | 'admin';

interface Entry {
  dir: string;
  admin: string;
  style: LinkStyle;
}

/** A pool entry with what it holds: its HEAD and when it left the link (the entry's mtime). */
interface Pooled extends Entry {
  hash: string | null;
  since: Date;
  /** Checked out ahead for the next revision (spare()): not a kept revision, never rolled back to. */
  spare: boolean;
}

const ADMIN_PREFIX = 'gitpaas-recycle-';
/** In a worktree's admin dir once its index stat data was refreshed (it moves with the tree). */
const SETTLED = 'gitpaas-index-settled';

/** Where a spare worktree is checked out before it joins the pool whole (a stop leaves it here). */
const SPARE_DIR = 'gitpaas-spare';
/** In a pooled tree's admin dir while it is the spare; removed when take() uses it. */
const SPARE_MARK = 'gitpaas-spare-tree';

/** Where retired worktrees wait by default: inside the repository, outside `.worktrees`. */
export function recyclePoolDir(gitDir: string): string {
  return join(gitDir, 'gitpaas-recycle');
}

/**
 * Update cost that follows the diff: instead of a full checkout per hash, a retired worktree is
 * reset to the new hash (git rewrites only the files that differ, using the worktree's index)
 * and renamed to its new name. Git's records stay consistent at every step: the worktree's
 * `.git` file and its admin directory's `gitdir` are rewritten on each move, in the style
 * (relative or absolute) the admin record already used.
 */
export function createRecycler(options: RecyclerOptions): Recycler {
  const root = resolve(options.root);
  const gitDir = join(root, '.git');
  const worktreesDir = join(root, '.worktrees');
  const poolDir = options.poolDir ? resolve(options.poolDir) : recyclePoolDir(gitDir);
  const { keep = 0, recycle = true, submodules = 'off', env, link, logger = silentLogger } = options;
  const maxPool = options.maxPool ?? keep + 2;

  const git =
    options.git ??
    (async (cwd: string, args: string[], signal?: AbortSignal) => {
      const { execa } = await import('execa');
      return execa('git', args, { cwd, env, cancelSignal: signal, stdin: 'ignore' });
    });

  /** The admin directory a worktree's `.git` file names, if it names one back. */
  const entryFor = async (dir: string): Promise<Entry | null> => {
    try {
      const gitFile = (await readFile(join(dir, '.git'), 'utf8')).trim();
      if (!gitFile.startsWith('gitdir: ')) return null;
      const admin = resolve(dir, gitFile.slice('gitdir: '.length));
      if (dirname(admin) !== join(gitDir, 'worktrees')) return null;
      const back = (await readFile(join(admin, 'gitdir'), 'utf8')).trim();
      const expected = join(dir, '.git');
      if (isAbsolute(back)) return back === expected ? { dir, admin, style: 'absolute' } : null;
      if (resolve(root, back) === expected) return { dir, admin, style: 'root' };
      if (resolve(admin, back) === expected) return { dir, admin, style: 'admin' };
      return null;
    } catch {
      return null;
    }
  };

  /**
   * Points a worktree that is (or is about to be renamed to) `dir` and its admin record at each
   * other, keeping the record's path style. `from` is where the tree is now.
   */
  const relink = async (dir: string, admin: string, style: LinkStyle, from = dir) => {
    await writeFile(join(from, '.git'), `gitdir: ${relative(dir, admin)}\n`);
    const back = join(dir, '.git');
    const text = style === 'absolute' ? back : relative(style === 'root' ? root : admin, back);
    await writeFile(join(admin, 'gitdir'), `${text}\n`);
  };

  const pooled = async (): Promise<string[]> => {
    try {
      const names = await readdir(poolDir);
      return names.map((name) => join(poolDir, name));
    } catch {
      return [];
    }
  };

  /** The pool's entries that are worktrees, oldest first; anything else in the pool is dropped. */
  const entries = async (): Promise<Pooled[]> => {
    const out: Pooled[] = [];
    for (const dir of await pooled()) {
      const entry = await entryFor(dir);
      if (!entry) {
        await discard(dir);
        continue;
      }
      const head = (await readFile(join(entry.admin, 'HEAD'), 'utf8').catch(() => '')).trim();
      const since = (await stat(dir).catch(() => null))?.mtime ?? new Date(0);
      const spare = await exists(join(entry.admin, SPARE_MARK));
      out.push({ ...entry, hash: /^[0-9a-f]{40,64}$/.test(head) ? head : null, since, spare });
    }
    return out.sort((a, b) => a.since.getTime() - b.since.getTime());
  };

  /** The tree a revision not in the pool is made from: the spare, else the oldest beyond the kept revisions. */
  const recyclable = (waiting: Pooled[]): Pooled | undefined => {
    const spare = waiting.find((entry) => entry.spare);
    const revisions = waiting.filter((entry) => !entry.spare);
    return spare ?? (revisions.length > keep ? revisions[0] : undefined);
  };

  const discard = async (dir: string) => {
    await rm(dir, { recursive: true, force: true });
    // Drops the admin record that pointed at the discarded tree.
    await git(root, ['worktree', 'prune']).catch(() => {});
  };

  const exists = (path: string) =>
    stat(path).then(
      () => true,
      () => false,
    );

  return {
    poolDir,

    async list() {
      return (await entries())
        .filter((entry) => entry.hash !== null && !entry.spare)
        .map((entry) => ({ hash: entry.hash!, since: entry.since }))
        .reverse();
    },

    async recover() {
      // A spare a stop cut short; retention drops its record (no tree names it).
      await rm(join(gitDir, SPARE_DIR), { recursive: true, force: true });
      let kept = 0;
      for (const dir of await pooled()) {
        if (kept < maxPool && (await entryFor(dir))) kept++;
        else await discard(dir);
      }
      return kept;
    },

    async retire(worktree) {
      const dir = resolve(worktree);
      if (dirname(dir) !== worktreesDir) return false;
      if (link) {
        const published = await realpath(link).catch(() => null);
        const real = await realpath(dir).catch(() => null);
        if (!real || published === real) return false;
      }
      const waiting = await entries();
      if (waiting.length >= maxPool) {
        // Without revisions to keep one tree is as good as another; kept ones: the newest count.
        if (keep === 0 || maxPool === 0) return false;
        for (const old of waiting.slice(0, waiting.length - maxPool + 1)) await discard(old.dir);
      }
      const entry = await entryFor(dir);
      if (!entry) return false;
      // Submodule repositories live in the admin dir and name their worktree by path: not movable.
      if (await exists(join(entry.admin, 'modules'))) return false;
      // Its mtime is when it left the link (retention stamps it): kept, the oldest go first.
      const retired = (await stat(dir)).mtime;
      const id = await randomId();
      const target = join(poolDir, id);
      const admin = join(gitDir, 'worktrees', ADMIN_PREFIX + id);
      await mkdir(poolDir, { recursive: true });
      // Leaving .worktrees first: from here on no consumer can find it under its old name.
      await rename(dir, target);
      await rename(entry.admin, admin);
      await relink(target, admin, entry.style);
      await utimes(target, retired, retired);
      // Settle the index's stat data once (a fresh checkout leaves every entry "racily clean", which
      // would make the next reset re-read every file); a reset leaves only the files it wrote so.
      if (!(await exists(join(admin, SETTLED)))) {
        await git(target, ['update-index', '-q', '--refresh']).catch(() => {});
        await writeFile(join(admin, SETTLED), '');
      }
      logger.debug('worktree retired for recycling', { worktree: dir, pool: target });
      return true;
    },

    async clean(signal) {
      if (!recycle) return null;
      const entry = recyclable(await entries());
      if (!entry) return null;
      // A spare is a fresh checkout: nothing to clean. A kept revision's build output stays until take() needs its tree.
      if (entry.spare) return entry.dir;
      if (keep > 0) return null;
      await git(entry.dir, ['clean', '-ffdxq'], signal);
      return entry.dir;
    },

    async take(hash, signal, cleaned = null) {
      const target = join(worktreesDir, hash);
      if (await exists(target)) return null;
      const waiting = await entries();
      // A kept tree of this hash first: it has the build's output, the spare does not.
      const same =
        waiting.find((entry) => entry.hash === hash && !entry.spare) ??
        waiting.find((entry) => entry.hash === hash);
      // Another hash's tree: the spare, else one beyond the kept revisions, the oldest first.
      const entry = same ?? (recycle ? recyclable(waiting) : undefined);
      if (entry) {
        const { dir } = entry;
        const started = performance.now();
        try {
          await git(dir, ['reset', '--hard', '-q', hash, '--'], signal);
          // -ff: also nested repositories someone left behind; -x: ignored files too. A kept tree
          // of this very hash keeps what its build made (node_modules…): a rollback reuses it.
          if (entry !== same && !entry.spare && dir !== cleaned) await git(dir, ['clean', '-ffdxq'], signal);
        } catch (error) {
          if (signal?.aborted) throw error;
          logger.warn(`recycling a worktree failed, checking out fresh: ${(error as Error).message}`, {
            hash,
          });
          await discard(dir);
          return null;
        }
        // Known only now (asking git first would cost every revision a process); the tree stays
        // pooled, a valid worktree, for the next revision.
        if (submodules !== 'off' && (await exists(join(dir, '.gitmodules')))) return null;
        const admin = join(gitDir, 'worktrees', hash);
        if (await exists(admin)) {
          // A record for this hash whose worktree still exists belongs to someone: leave both alone.
          const back = (await readFile(join(admin, 'gitdir'), 'utf8').catch(() => '')).trim();
          if (back && ((await exists(resolve(root, back))) || (await exists(resolve(admin, back)))))
            return null;
          await rm(admin, { recursive: true, force: true });
        }
        // From here on a revision like any other: it retires as a kept one.
        if (entry.spare) await rm(join(entry.admin, SPARE_MARK), { force: true });
        await rename(entry.admin, admin);
        await relink(target, admin, entry.style, dir);
        await rename(dir, target);
        logger.debug(entry === same ? 'kept worktree restored' : 'worktree recycled', {
          hash,
          ms: Math.round(performance.now() - started),
        });
        return target;
      }
      return null;
    },

    async spare(hash, signal) {
      if (!recycle || maxPool === 0) return false;
      // One spare at a time, and none while a pooled tree beyond the kept revisions can serve.
      const waiting = await entries();
      if (waiting.length >= maxPool || recyclable(waiting)) return false;
      const published = join(worktreesDir, hash);
      if (submodules !== 'off' && (await exists(join(published, '.gitmodules')))) return false;
      const id = await randomId();
      const building = join(gitDir, SPARE_DIR);
      // git names the admin record after the directory: the name retire() gives pooled trees.
      const dir = join(building, ADMIN_PREFIX + id);
      const target = join(poolDir, id);
      const started = performance.now();
      let settledIndex = false;
      try {
        await rm(building, { recursive: true, force: true });
        await git(root, ['worktree', 'add', '--force', '--detach', '--quiet', dir, hash], signal);
        // git trusts an entry's stat data only when the file is older than the index, to the second
        // as git is usually built: refreshed within the checkout's second, every entry stays
        // "racily clean" and the reset that uses this tree re-reads them all (180 ms instead of 62
        // for 10k files). The spare is made in the background: waiting for the next second is free.
        // A sync asked for meanwhile ends the wait: the whole checkout joins the pool unsettled (a
        // slower reset) rather than being thrown away for a full checkout.
        await sleep(1000 - (Date.now() % 1000), signal);
        if (!signal?.aborted) {
          await git(dir, ['update-index', '-q', '--refresh'], signal);
          settledIndex = true;
        }
      } catch (error) {
        // The half-made tree and git's record of it (locked while `worktree add` ran).
        await rm(building, { recursive: true, force: true });
        await rm(join(gitDir, 'worktrees', ADMIN_PREFIX + id), { recursive: true, force: true });
        if (signal?.aborted) throw error;
        logger.warn(`preparing a spare worktree failed: ${(error as Error).message}`, { hash });
        return false;
      }
      const entry = await entryFor(dir);
      if (!entry) {
        await rm(building, { recursive: true, force: true });
        return false;
      }
      if (settledIndex) await writeFile(join(entry.admin, SETTLED), '');
      await writeFile(join(entry.admin, SPARE_MARK), '');
      await mkdir(poolDir, { recursive: true });
      await relink(target, entry.admin, 'root', dir);
      await rename(dir, target);
      await rm(building, { recursive: true, force: true });
      logger.debug('spare worktree ready', { hash, ms: Math.round(performance.now() - started) });
      return true;
    },
  };
}

/** A pool entry's name; node:crypto is loaded when the first tree retires, not at start-up. */
async function randomId(): Promise<string> {
  const { randomBytes } = await import('node:crypto');
  return randomBytes(6).toString('hex');
}
