import { createHash, randomBytes } from 'node:crypto';
import {
  cp,
  lstat,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '@gitpaas/core';
import type { InstallStep } from './detect.js';
import { exists, makeFilesReadOnly } from './files.js';

/** The file in each keyed tree that says what it holds; its mtime is the last use (for the LRU). */
const META = 'gitpaas-cache.json';
/** An unfinished tree older than this was left by a crash: removed when pruning. */
const STALE_TEMP_MS = 60 * 60_000;

/**
 * Installed dependencies, once per key (manifest files + install command + runtime version),
 * under `<state-dir>/cache/deps/<key>/` — the way Docker caches the layer after `COPY
 * package*.json` and Heroku restores node_modules. A keyed tree is complete once it has its name
 * (built under a temp name, then renamed), read-only from then on, and the least recently used
 * go once more than `keep` exist. The package managers' own caches live beside it
 * (`<state-dir>/cache/npm`, …), so a changed manifest downloads only what is new.
 */
export class DependencyCache {
  private readonly deps: string | null;

  constructor(
    private readonly dir: string | null,
    private readonly keep: number,
    private readonly logger: Logger,
  ) {
    this.deps = dir && keep > 0 ? join(dir, 'deps') : null;
  }

  get enabled(): boolean {
    return this.deps !== null;
  }

  /**
   * For the install and build steps: the package managers' own download caches in the state dir
   * (unless the environment already names one) — npm's, pnpm's store (for pnpm only: npm warns
   * about a setting it does not know), yarn's, corepack's and NuGet's packages folder.
   */
  managerEnv(env: NodeJS.ProcessEnv, manager: InstallStep['manager']): Record<string, string> {
    if (!this.dir) return {};
    const out: Record<string, string> = {};
    const set = (names: string[], sub: string) => {
      if (!names.some((name) => env[name])) out[names[0]!] = join(this.dir!, sub);
    };
    set(['npm_config_cache', 'NPM_CONFIG_CACHE'], 'npm');
    if (manager === 'pnpm') set(['npm_config_store_dir', 'NPM_CONFIG_STORE_DIR'], 'pnpm-store');
    set(['YARN_CACHE_FOLDER'], 'yarn');
    set(['COREPACK_HOME'], 'corepack');
    set(['NUGET_PACKAGES'], 'nuget');
    return out;
  }

  /** The key of an install in `releaseDir`: its files' contents, the command and the runtime. */
  async key(step: InstallStep, releaseDir: string, runtime: string): Promise<string> {
    const hash = createHash('sha256');
    hash.update(
      JSON.stringify({
        command: step.command,
        dirs: step.dirs,
        runtime,
        platform: process.platform,
        arch: process.arch,
      }),
    );
    for (const file of [...step.keyFiles].sort()) {
      hash.update(`\0${file}\0`);
      hash.update(await readFile(join(releaseDir, file)).catch(() => Buffer.from('\0missing')));
    }
    return hash.digest('hex').slice(0, 32);
  }

  /** Puts the keyed tree into `releaseDir`; false when there is none for this key (install then). */
  async restore(key: string, step: InstallStep, releaseDir: string): Promise<boolean> {
    if (!this.deps) return false;
    const tree = join(this.deps, key);
    if (!(await exists(join(tree, META)))) return false;
    for (const dir of step.dirs) {
      const from = join(tree, dir);
      if (!(await exists(from))) continue;
      const to = join(releaseDir, dir);
      await rm(to, { recursive: true, force: true });
      await mkdir(dirname(to), { recursive: true });
      if (step.materialise === 'symlink') await symlink(from, to);
      else await cp(from, to, { recursive: true, verbatimSymlinks: true });
    }
    const now = new Date();
    await utimes(join(tree, META), now, now).catch(() => {});
    return true;
  }

  /**
   * Keeps what a successful install wrote in `releaseDir` under `key`. symlink: the dirs move
   * into the store (a rename on the same filesystem, a copy across) and the release gets links
   * to them; copy: the store gets a copy. Failures are logged: the release keeps its own dirs.
   */
  async save(key: string, step: InstallStep, releaseDir: string): Promise<void> {
    if (!this.deps) return;
    const tree = join(this.deps, key);
    if (await exists(join(tree, META))) return;
    const temp = join(this.deps, `.tmp-${key}-${randomBytes(4).toString('hex')}`);
    const moved: string[] = [];
    try {
      await mkdir(temp, { recursive: true });
      for (const dir of step.dirs) {
        const from = join(releaseDir, dir);
        if (!(await exists(from)) || (await lstat(from)).isSymbolicLink()) continue;
        const to = join(temp, dir);
        await mkdir(dirname(to), { recursive: true });
        if (step.materialise === 'symlink') {
          await move(from, to);
          moved.push(dir);
        } else {
          await cp(from, to, { recursive: true, verbatimSymlinks: true });
        }
      }
      await makeFilesReadOnly(temp);
      await writeFile(
        join(temp, META),
        `${JSON.stringify({ command: step.command, keyFiles: step.keyFiles, dirs: step.dirs, createdAt: new Date().toISOString() })}\n`,
      );
      await rename(temp, tree);
      for (const dir of moved) await symlink(join(tree, dir), join(releaseDir, dir));
    } catch (error) {
      this.logger.warn('cannot keep the installed dependencies in the cache; this release keeps its own', {
        error: String(error),
      });
      // Whatever was moved goes back, so the release still has its dependencies.
      for (const dir of moved) await move(join(temp, dir), join(releaseDir, dir)).catch(() => {});
      await rm(temp, { recursive: true, force: true }).catch(() => {});
    }
  }

  /** Removes the least recently used trees beyond `keep`, never one in `inUse`, and leftovers of crashes. */
  async prune(inUse: ReadonlySet<string>): Promise<void> {
    if (!this.deps) return;
    let names: string[];
    try {
      names = await readdir(this.deps);
    } catch {
      return;
    }
    const trees: Array<{ name: string; used: number }> = [];
    for (const name of names) {
      const path = join(this.deps, name);
      if (name.startsWith('.tmp-')) {
        const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
        if (age > STALE_TEMP_MS) await rm(path, { recursive: true, force: true }).catch(() => {});
        continue;
      }
      const meta = await stat(join(path, META)).catch(() => null);
      trees.push({ name, used: meta?.mtimeMs ?? 0 });
    }
    trees.sort((a, b) => b.used - a.used);
    let kept = 0;
    for (const tree of trees) {
      if (inUse.has(tree.name) || kept < this.keep) {
        kept++;
        continue;
      }
      // Renamed first: a tree half removed is never mistaken for a complete one.
      const trash = join(this.deps, `.tmp-trash-${tree.name}`);
      await rename(join(this.deps, tree.name), trash).catch(() => {});
      await rm(trash, { recursive: true, force: true }).catch(() => {});
      this.logger.debug('dependency cache: removed a tree', { key: tree.name });
    }
  }
}

/** rename, or copy + remove across filesystems (a worktree volume and a state volume). */
async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await cp(from, to, { recursive: true, verbatimSymlinks: true });
    await rm(from, { recursive: true, force: true });
  }
}
