import { createHash } from 'node:crypto';
import {
  chmod,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { git, makeTempDir, removeTempDirs } from '../test/helpers/index.js';
import { createRecycler } from './recycle.js';

/** A source repository to commit into, and a git-sync-like root fetching from it. */
async function setup() {
  const base = await makeTempDir('gitsync-recycle-');
  const source = join(base, 'source');
  const root = join(base, 'root');
  await mkdir(source);
  await git(source, 'init', '-q', '-b', 'main');
  await mkdir(join(root, '.worktrees'), { recursive: true });
  await git(root, 'init', '-q');
  const commit = async (message: string, change: (dir: string) => Promise<void>) => {
    await change(source);
    await git(source, 'add', '-A');
    await git(source, 'commit', '-q', '--allow-empty', '-m', message);
    const hash = await git(source, 'rev-parse', 'HEAD');
    await git(root, 'fetch', '-q', '--depth', '1', source, hash);
    return hash;
  };
  /** A fresh worktree made the way the sync loop makes one: worktree add, then relative links. */
  const fresh = async (hash: string, dir = join(root, '.worktrees', hash)) => {
    await git(root, 'worktree', 'add', '-q', '--force', '--detach', dir, hash);
    const admin = join(root, '.git', 'worktrees', dir.split('/').pop()!);
    await writeFile(join(dir, '.git'), `gitdir: ${relative(dir, admin)}\n`);
    await writeFile(join(admin, 'gitdir'), `${relative(root, join(dir, '.git'))}\n`);
    return dir;
  };
  return { base, source, root, commit, fresh };
}

/** Every path under `dir` (but its `.git` file) with its type, executable bit and content or target. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (at: string) => {
    for (const name of (await readdir(at)).sort()) {
      const path = join(at, name);
      const rel = relative(dir, path);
      if (rel === '.git') continue;
      const info = await lstat(path);
      if (info.isSymbolicLink()) out.push(`${rel} symlink ${await readlink(path)}`);
      else if (info.isDirectory()) {
        out.push(`${rel} dir`);
        await walk(path);
      } else {
        const sum = createHash('sha256')
          .update(await readFile(path))
          .digest('hex');
        out.push(`${rel} file ${info.mode & 0o111 ? 'x' : '-'} ${sum}`);
      }
    }
  };
  await walk(dir);
  return out;
}

async function expectSameAsFresh(recycled: string, fresh: string) {
  expect(await git(recycled, 'ls-files', '-s')).toBe(await git(fresh, 'ls-files', '-s'));
  expect(await git(recycled, 'rev-parse', 'HEAD')).toBe(await git(fresh, 'rev-parse', 'HEAD'));
  expect(await git(recycled, 'status', '--porcelain', '--ignored')).toBe('');
  expect(await snapshot(recycled)).toEqual(await snapshot(fresh));
}

afterEach(removeTempDirs);

describe('worktree recycling', () => {
  it('turns a retired worktree into a byte-identical checkout of the next hash', async () => {
    const { root, base, commit, fresh } = await setup();
    const v1 = await commit('v1', async (dir) => {
      await writeFile(join(dir, 'a.txt'), 'alpha\n');
      await mkdir(join(dir, 'dir'));
      await writeFile(join(dir, 'dir', 'b.txt'), 'beta\n');
      await writeFile(join(dir, 'script.sh'), '#!/bin/sh\necho hi\n');
      await writeFile(join(dir, 'gone.txt'), 'deleted in v2\n');
      await writeFile(join(dir, 'rename-me.txt'), 'renamed in v2\n');
      await mkdir(join(dir, 'dir2'));
      await writeFile(join(dir, 'dir2', 'inner.txt'), 'dir2 becomes a file\n');
      await writeFile(join(dir, 'was-link-target.txt'), 'x\n');
      await symlink('a.txt', join(dir, 'link'));
      await symlink('was-link-target.txt', join(dir, 'becomes-file'));
      await writeFile(join(dir, '.gitignore'), 'ignored.log\nnode_modules/\n');
    });
    const v2 = await commit('v2', async (dir) => {
      await writeFile(join(dir, 'a.txt'), 'alpha, changed\n');
      await git(dir, 'rm', '-q', 'gone.txt');
      await git(dir, 'mv', 'rename-me.txt', 'renamed.txt');
      await chmod(join(dir, 'script.sh'), 0o755);
      await git(dir, 'rm', '-q', '-r', 'dir2');
      await writeFile(join(dir, 'dir2'), 'now a file\n');
      await git(dir, 'rm', '-q', 'link', 'becomes-file');
      await symlink('dir/b.txt', join(dir, 'link'));
      await symlink('dir', join(dir, 'dir-link'));
      await writeFile(join(dir, 'becomes-file'), 'was a symlink\n');
    });

    const old = await fresh(v1);
    // What an app or build step may leave behind in the tree it ran from.
    await writeFile(join(old, 'untracked.txt'), 'leftover\n');
    await writeFile(join(old, 'ignored.log'), 'log\n');
    await mkdir(join(old, 'node_modules', 'pkg'), { recursive: true });
    await writeFile(join(old, 'node_modules', 'pkg', 'index.js'), 'module.exports = 1;\n');
    await writeFile(join(old, 'dir', 'b.txt'), 'BETA\n');
    await chmod(join(old, 'a.txt'), 0o755);
    await mkdir(join(old, 'nested-repo'));
    await git(join(old, 'nested-repo'), 'init', '-q');

    const recycler = createRecycler({ root });
    expect(await recycler.retire(old)).toBe(true);
    await expect(stat(old)).rejects.toThrow(/ENOENT/);
    expect(await readdir(recycler.poolDir)).toHaveLength(1);

    const made = await recycler.take(v2);
    expect(made).toBe(join(root, '.worktrees', v2));
    expect(await readdir(recycler.poolDir)).toHaveLength(0);
    const reference = await fresh(v2, join(base, 'fresh-v2'));
    await expectSameAsFresh(made!, reference);

    // Git's records follow the tree: named for the hash, relative links, kept by prune.
    expect((await readFile(join(made!, '.git'), 'utf8')).trim()).toBe(`gitdir: ../../.git/worktrees/${v2}`);
    expect((await readFile(join(root, '.git', 'worktrees', v2, 'gitdir'), 'utf8')).trim()).toBe(
      `.worktrees/${v2}/.git`,
    );
    await git(root, 'worktree', 'prune');
    expect(await git(root, 'worktree', 'list', '--porcelain')).toContain(`worktree .worktrees/${v2}\n`);
  });

  it('recycles again and again, each time identical to a fresh checkout', async () => {
    const { root, base, commit, fresh } = await setup();
    const recycler = createRecycler({ root });
    let current = await fresh(
      await commit('start', async (dir) => {
        for (let i = 0; i < 20; i++) await writeFile(join(dir, `f${i}.txt`), `${i}\n`);
      }),
    );
    for (let round = 1; round <= 4; round++) {
      const next = await commit(`round ${round}`, async (dir) => {
        await writeFile(join(dir, `f${round}.txt`), `round ${round}\n`);
        if (round % 2) await symlink(`f${round}.txt`, join(dir, `l${round}`));
        else await git(dir, 'rm', '-q', `l${round - 1}`);
      });
      expect(await recycler.retire(current)).toBe(true);
      const made = await recycler.take(next);
      expect(made).not.toBeNull();
      await expectSameAsFresh(made!, await fresh(next, join(base, `fresh-${round}`)));
      current = made!;
    }
  });

  it('never retires the published worktree', async () => {
    const { root, commit, fresh } = await setup();
    const v1 = await commit('v1', (dir) => writeFile(join(dir, 'a'), '1'));
    const dir = await fresh(v1);
    await symlink(`.worktrees/${v1}`, join(root, 'app'));
    const recycler = createRecycler({ root, link: join(root, 'app') });
    expect(await recycler.retire(dir)).toBe(false);
    expect(await git(dir, 'rev-parse', 'HEAD')).toBe(v1);
  });

  it('refuses paths outside .worktrees and stops at the pool size', async () => {
    const { root, base, commit, fresh } = await setup();
    const v1 = await commit('v1', (dir) => writeFile(join(dir, 'a'), '1'));
    const v2 = await commit('v2', (dir) => writeFile(join(dir, 'a'), '2'));
    const elsewhere = await fresh(v1, join(base, 'elsewhere'));
    const recycler = createRecycler({ root, maxPool: 1 });
    expect(await recycler.retire(elsewhere)).toBe(false);
    expect(await recycler.retire(await fresh(v1))).toBe(true);
    const second = await fresh(v2);
    expect(await recycler.retire(second)).toBe(false);
    expect(await git(second, 'rev-parse', 'HEAD')).toBe(v2);
  });

  it('gives nothing when the pool is empty or the hash already has a worktree', async () => {
    const { root, commit, fresh } = await setup();
    const v1 = await commit('v1', (dir) => writeFile(join(dir, 'a'), '1'));
    const v2 = await commit('v2', (dir) => writeFile(join(dir, 'a'), '2'));
    const recycler = createRecycler({ root });
    expect(await recycler.take(v2)).toBeNull();
    const kept = await fresh(v2);
    expect(await recycler.retire(await fresh(v1))).toBe(true);
    expect(await recycler.take(v2)).toBeNull();
    expect(await readdir(recycler.poolDir)).toHaveLength(1);
    expect(await git(kept, 'rev-parse', 'HEAD')).toBe(v2);
  });

  it('drops a pooled tree it cannot reset and lets the caller check out fresh', async () => {
    const { root, commit, fresh } = await setup();
    const v1 = await commit('v1', (dir) => writeFile(join(dir, 'a'), '1'));
    const recycler = createRecycler({ root });
    expect(await recycler.retire(await fresh(v1))).toBe(true);
    expect(await recycler.take('f'.repeat(40))).toBeNull();
    expect(await readdir(recycler.poolDir)).toEqual([]);
    expect(await git(root, 'worktree', 'list', '--porcelain')).not.toContain('gitpaas-recycle');
  });

  it('recover() removes a pool entry a crash left half-moved', async () => {
    const { root, commit, fresh } = await setup();
    const v1 = await commit('v1', (dir) => writeFile(join(dir, 'a'), '1'));
    const v2 = await commit('v2', (dir) => writeFile(join(dir, 'a'), '2'));
    const recycler = createRecycler({ root });
    expect(await recycler.retire(await fresh(v1))).toBe(true);
    // Killed between moving the tree and rewriting its links.
    await rename(await fresh(v2), join(recycler.poolDir, 'half-moved'));
    expect(await recycler.recover()).toBe(1);
    expect(await readdir(recycler.poolDir)).toHaveLength(1);
    expect(await git(root, 'worktree', 'list', '--porcelain')).not.toContain(v2);
  });

  it('leaves a recycled worktree usable after the volume is mounted elsewhere', async () => {
    const { root, base, commit, fresh } = await setup();
    const v1 = await commit('v1', (dir) => writeFile(join(dir, 'a'), '1'));
    const v2 = await commit('v2', (dir) => writeFile(join(dir, 'a'), '2'));
    const recycler = createRecycler({ root });
    await recycler.retire(await fresh(v1));
    await recycler.take(v2);
    const moved = join(base, 'mounted-elsewhere');
    await rename(root, moved);
    expect(await git(join(moved, '.worktrees', v2), 'status', '--porcelain')).toBe('');
    expect(await git(join(moved, '.worktrees', v2), 'rev-parse', 'HEAD')).toBe(v2);
  });
});

describe('kept revisions (--keep-revisions)', () => {
  it('gives back the tree kept at the asked hash as it was, build output included', async () => {
    const { root, commit, fresh } = await setup();
    const v1 = await commit('v1', (dir) => writeFile(join(dir, 'a'), '1'));
    const v2 = await commit('v2', (dir) => writeFile(join(dir, 'a'), '2'));
    const recycler = createRecycler({ root, keep: 2 });
    const built = await fresh(v1);
    await writeFile(join(built, 'build-output.txt'), 'made by the build\n');
    expect(await recycler.retire(built)).toBe(true);
    expect(await recycler.retire(await fresh(v2))).toBe(true);
    expect((await recycler.list()).map((kept) => kept.hash)).toEqual([v2, v1]);
    const back = await recycler.take(v1);
    expect(back).toBe(join(root, '.worktrees', v1));
    expect(await readFile(join(back!, 'build-output.txt'), 'utf8')).toBe('made by the build\n');
    expect(await git(back!, 'rev-parse', 'HEAD')).toBe(v1);
    expect((await recycler.list()).map((kept) => kept.hash)).toEqual([v2]);
  });

  it('resets another hash only beyond the kept ones, and drops the oldest when full', async () => {
    const { root, commit, fresh } = await setup();
    const hashes: string[] = [];
    for (const n of [1, 2, 3, 4])
      hashes.push(await commit(`v${n}`, (dir) => writeFile(join(dir, 'a'), `${n}`)));
    const [v1, v2, v3, v4] = hashes as [string, string, string, string];
    const recycler = createRecycler({ root, keep: 1, maxPool: 2 });
    expect(await recycler.retire(await fresh(v1))).toBe(true);
    // Only one tree waits and one is kept: a new hash gets a fresh checkout.
    expect(await recycler.take(v4)).toBeNull();
    expect(await recycler.retire(await fresh(v2))).toBe(true);
    expect(await recycler.retire(await fresh(v3))).toBe(true);
    expect((await recycler.list()).map((kept) => kept.hash)).toEqual([v3, v2]);
    // Two wait and one is kept: the oldest becomes the new revision.
    expect(await recycler.take(v4)).toBe(join(root, '.worktrees', v4));
    expect((await recycler.list()).map((kept) => kept.hash)).toEqual([v3]);
  });
});

describe('worktree recycling with submodules', () => {
  it('does not take a worktree whose submodules were checked out, nor make a revision that has some', async () => {
    const { root, base, commit, fresh } = await setup();
    const sub = join(base, 'sub');
    await mkdir(sub);
    await git(sub, 'init', '-q', '-b', 'main');
    await writeFile(join(sub, 'lib.txt'), 'lib\n');
    await git(sub, 'add', '-A');
    await git(sub, 'commit', '-q', '-m', 'lib');
    const v1 = await commit('v1', (dir) => writeFile(join(dir, 'a'), '1'));
    const v2 = await commit('with submodule', (dir) =>
      git(dir, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub, 'lib').then(() => {}),
    );
    const withModules = await fresh(v2);
    await git(withModules, '-c', 'protocol.file.allow=always', 'submodule', 'update', '--init', '-q');
    const recycler = createRecycler({ root, submodules: 'recursive' });
    expect(await recycler.retire(withModules)).toBe(false);
    expect(await git(join(withModules, 'lib'), 'rev-parse', '--is-inside-work-tree')).toBe('true');
    expect(await recycler.retire(await fresh(v1))).toBe(true);
    expect(await recycler.take(v2)).toBeNull();
  });
});
