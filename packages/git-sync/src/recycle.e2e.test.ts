import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpSyncs, git, makeSync, syncFixture, TestRemote, waitFor } from '../test/helpers/index.js';
import type { PublishEvent } from './index.js';

afterEach(cleanUpSyncs);

/** The spare tree is made between syncs, after the publish; a sync asked for sooner interrupts it. */
const spareReady = (root: string) =>
  waitFor(async () => (await readdir(join(root, '.git', 'gitpaas-recycle')).catch(() => [])).length === 1, {
    message: 'the spare worktree',
  });

describe('worktree recycling through the sync loop', () => {
  it('publishes later revisions from recycled worktrees that match a fresh checkout, with .worktrees unchanged', async () => {
    const { remote, root } = await syncFixture();
    const gs = makeSync({ repo: remote.url, root, ref: 'main', period: 3_600_000 });
    const publishes: PublishEvent[] = [];
    gs.on('publish', (e) => publishes.push(e));
    await gs.start();
    await gs.syncNow('first');
    await spareReady(root);
    const hashes = [await remote.hash()];
    for (let i = 1; i <= 3; i++) {
      hashes.push(await remote.commit({ [`f${i}.txt`]: `${i}\n`, 'README.md': `round ${i}\n` }));
      await gs.syncNow(`round ${i}`);
      const published = hashes[hashes.length - 1]!;
      expect(gs.status().publishedHash).toBe(published);
      expect(await readdir(join(root, '.worktrees'))).toEqual([published]);
      const tree = join(root, '.worktrees', published);
      expect(await git(tree, 'status', '--porcelain', '--ignored')).toBe('');
      expect(await git(tree, 'rev-parse', 'HEAD')).toBe(published);
      expect(await git(tree, 'ls-files', '-s')).toBe(await git(remote.work, 'ls-files', '-s'));
    }
    // The first update already recycles: a spare tree was made ready after the first publish.
    expect(publishes.map((p) => p.recycled)).toEqual([false, true, true, true]);
  });

  it('keeps a spare worktree ready, outside .worktrees and across a restart, so the first update after a start is recycled', async () => {
    const { remote, root } = await syncFixture();
    const first = makeSync({ repo: remote.url, root, ref: 'main', period: 3_600_000 });
    await first.start();
    await first.syncNow('first');
    await spareReady(root);
    const pool = join(root, '.git', 'gitpaas-recycle');
    const [spare] = await readdir(pool);
    expect(spare).toBeTruthy();
    expect(await git(join(pool, spare!), 'rev-parse', 'HEAD')).toBe(await remote.hash());
    expect(await readdir(join(root, '.worktrees'))).toEqual([await remote.hash()]);
    await first.stop();

    const second = makeSync({ repo: remote.url, root, ref: 'main', period: 3_600_000 });
    const publishes: PublishEvent[] = [];
    second.on('publish', (e) => publishes.push(e));
    await second.start();
    await second.syncNow('after restart');
    const next = await remote.commit({ 'README.md': 'after the restart\n' });
    await second.syncNow('first update');
    expect(publishes.at(-1)).toMatchObject({ hash: next, recycled: true });
    const tree = join(root, '.worktrees', next);
    expect(await git(tree, 'status', '--porcelain', '--ignored')).toBe('');
    expect(await git(tree, 'ls-files', '-s')).toBe(await git(remote.work, 'ls-files', '-s'));
  });
});

/** A pooled tree marked as the spare (with kept revisions the pool holds those too). */
const spareMarked = (root: string) =>
  waitFor(
    async () => {
      const records = join(root, '.git', 'worktrees');
      for (const name of await readdir(records).catch(() => [])) {
        if ((await readdir(join(records, name))).includes('gitpaas-spare-tree')) return true;
      }
      return false;
    },
    { message: 'the spare worktree beside the kept revisions' },
  );

describe('worktree recycling with kept revisions (--keep-revisions, as gitpaas up)', () => {
  it('keeps a spare beside the kept revisions: updates are recycled from the first one, and the spare is never a rollback target', async () => {
    const { remote, root } = await syncFixture();
    const gs = makeSync({ repo: remote.url, root, ref: 'main', period: 3_600_000, keepRevisions: 2 });
    const publishes: PublishEvent[] = [];
    gs.on('publish', (e) => publishes.push(e));
    await gs.start();
    await gs.syncNow('first');
    const hashes = [await remote.hash()];
    for (let i = 1; i <= 3; i++) {
      await spareMarked(root);
      hashes.push(await remote.commit({ [`f${i}.txt`]: `${i}\n`, 'README.md': `round ${i}\n` }));
      await gs.syncNow(`round ${i}`);
      const tree = join(root, '.worktrees', hashes[i]!);
      expect(await git(tree, 'status', '--porcelain', '--ignored')).toBe('');
      expect(await git(tree, 'ls-files', '-s')).toBe(await git(remote.work, 'ls-files', '-s'));
    }
    expect(publishes.map((p) => p.recycled)).toEqual([false, true, true, true]);
    // The kept revisions are the retired ones, newest first; the spare trees became revisions.
    expect(gs.status().kept.map((k) => k.hash)).toEqual([hashes[2], hashes[1], hashes[0]]);
    expect((await gs.rollback(hashes[1])).hash).toBe(hashes[1]);
    expect(await git(join(root, '.worktrees', hashes[1]!), 'rev-parse', 'HEAD')).toBe(hashes[1]);
  });
});

describe('worktree recycling and retention', () => {
  it('never recycles a worktree --stale-worktree-timeout still keeps', async () => {
    const { remote, root } = await syncFixture();
    const gs = makeSync({
      repo: remote.url,
      root,
      ref: 'main',
      period: 3_600_000,
      staleWorktreeTimeout: 600_000,
    });
    const publishes: PublishEvent[] = [];
    gs.on('publish', (e) => publishes.push(e));
    await gs.start();
    await gs.syncNow('first');
    const hashes = [await remote.hash()];
    for (let i = 1; i <= 3; i++) {
      hashes.push(await remote.commit({ 'README.md': `round ${i}\n` }));
      await gs.syncNow(`round ${i}`);
    }
    expect((await readdir(join(root, '.worktrees'))).sort()).toEqual([...hashes].sort());
    for (const hash of hashes) {
      expect(await git(join(root, '.worktrees', hash), 'rev-parse', 'HEAD')).toBe(hash);
      expect(await git(join(root, '.worktrees', hash), 'status', '--porcelain')).toBe('');
    }
    // (An update may take the spare tree made after a publish; the kept trees above stay as they are.)
    expect(publishes.map((p) => p.hash)).toEqual(hashes);
  });
});

describe('worktree recycling and submodules', () => {
  it('checks out revisions with submodules fresh, and each has the right submodule content', async () => {
    const { dir, remote, root } = await syncFixture();
    const sub = await TestRemote.create(dir, 'sub.git');
    const s1 = await sub.commit({ 'lib.txt': 'one' });
    await git(remote.work, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub.url, 'lib');
    await remote.commit({}, 'add submodule');
    const gs = makeSync({
      repo: remote.url,
      root,
      ref: 'main',
      period: 3_600_000,
      gitConfig: ['protocol.file.allow:always'],
    });
    const publishes: PublishEvent[] = [];
    gs.on('publish', (e) => publishes.push(e));
    await gs.start();
    await gs.syncNow('first');
    const lib = () => readFile(join(root, 'repo.git', 'lib', 'lib.txt'), 'utf8');
    expect(await lib()).toBe('one');

    await remote.commit({ 'a.txt': 'a' });
    await gs.syncNow('file change');
    const s2 = await sub.commit({ 'lib.txt': 'two' });
    await git(join(remote.work, 'lib'), 'fetch', '-q', 'origin');
    await git(join(remote.work, 'lib'), 'checkout', '-q', s2);
    await git(remote.work, 'add', 'lib');
    await remote.commit({}, 'bump submodule');
    await gs.syncNow('bump');
    expect(await lib()).toBe('two');
    expect(s1).not.toBe(s2);
    expect(publishes.every((p) => !p.recycled)).toBe(true);
    expect(await readdir(join(root, '.worktrees'))).toEqual([gs.status().publishedHash]);
  });
});
