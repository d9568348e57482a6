import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestRemote } from '../test/helpers/index.js';
import { git, removeTempDirs, tempDir } from './hooks.test-helpers.js';
import { createGitSync, type GitSync, type PublishEvent } from './index.js';

const running: GitSync[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((gs) => gs.stop()));
  await removeTempDirs();
});

describe('worktree recycling through the sync loop', () => {
  it('publishes later revisions from recycled worktrees that match a fresh checkout, with .worktrees unchanged', async () => {
    const dir = await tempDir();
    const remote = await TestRemote.create(dir);
    const root = join(dir, 'root');
    const gs = createGitSync({ repo: remote.url, root, ref: 'main', period: 3_600_000 });
    running.push(gs);
    const publishes: PublishEvent[] = [];
    gs.on('publish', (e) => publishes.push(e));
    await gs.start();
    await gs.syncNow('first');
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
    expect(publishes.map((p) => p.recycled)).toEqual([false, false, true, true]);
  });
});
