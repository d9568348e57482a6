import { existsSync } from 'node:fs';
import { readFile, readlink, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpSyncs, git, makeSync, started, syncFixture } from '../test/helpers/index.js';
import type { GitSync } from './index.js';

afterEach(cleanUpSyncs);

/** A published repository with two tracked files, its link, and counters read from the registry. */
async function publishedFixture() {
  const { remote, root } = await syncFixture();
  const hash = await remote.commit({ 'app.js': 'console.log(1)\n', 'lib/util.js': 'export {}\n' });
  const gitSync = await started(makeSync({ repo: remote.url, root, link: 'app' }));
  const link = join(root, 'app');
  const counter = async (name: string, label?: string) => {
    const values = (await gitSync.registry.getSingleMetric(name)!.get()).values;
    return values.find((value) => !label || value.labels.how === label)?.value ?? 0;
  };
  return { remote, root, hash, gitSync, link, counter };
}

async function expectWhole(gitSync: GitSync, link: string, hash: string): Promise<void> {
  expect(await readlink(link)).toBe(`.worktrees/${hash}`);
  expect(await git(link, 'rev-parse', 'HEAD')).toBe(hash);
  expect(await git(link, 'status', '--porcelain', '--untracked-files=no')).toBe('');
  expect(await readFile(join(link, 'app.js'), 'utf8')).toBe('console.log(1)\n');
  expect(await readFile(join(link, 'lib', 'util.js'), 'utf8')).toBe('export {}\n');
  expect(gitSync.status()).toMatchObject({ publishedHash: hash, consecutiveFailures: 0 });
}

describe('the published worktree is verified at every poll and repaired', () => {
  it('undoes a local commit in the published worktree at the next poll, keeping untracked build output', async () => {
    const { hash, gitSync, link, counter } = await publishedFixture();
    const fetches = await counter('git_fetch_count_total');
    await writeFile(join(link, 'node_modules.txt'), 'written by a build');
    await writeFile(join(link, 'app.js'), 'hacked\n');
    await writeFile(join(link, 'extra.js'), 'added by the local commit\n');
    await git(link, 'add', 'app.js', 'extra.js');
    await git(link, 'commit', '-q', '-m', 'local change');
    expect(await git(link, 'rev-parse', 'HEAD')).not.toBe(hash);
    await gitSync.syncNow();
    await expectWhole(gitSync, link, hash);
    expect(existsSync(join(link, 'extra.js'))).toBe(false);
    expect(await readFile(join(link, 'node_modules.txt'), 'utf8')).toBe('written by a build');
    expect(await counter('gitpaas_git_sync_repairs_total', 'reset')).toBe(1);
    // The repair needs no fetch: the ls-remote fast path stays.
    expect(await counter('git_fetch_count_total')).toBe(fetches);
  });

  it('detaches again from a branch checked out in the published worktree', async () => {
    const { hash, gitSync, link } = await publishedFixture();
    await git(link, 'checkout', '-q', '-b', 'mine');
    await git(link, 'commit', '-q', '--allow-empty', '-m', 'on a branch');
    await gitSync.syncNow();
    await expectWhole(gitSync, link, hash);
    expect(await git(link, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('HEAD');
    await gitSync.syncNow();
    expect(gitSync.status().lastSyncOutcome).toBe('noop');
  });

  it('restores deleted tracked files at the next poll', async () => {
    const { hash, gitSync, link, counter } = await publishedFixture();
    await unlink(join(link, 'lib', 'util.js'));
    await gitSync.syncNow();
    await expectWhole(gitSync, link, hash);
    expect(await counter('gitpaas_git_sync_repairs_total', 'reset')).toBe(1);
  });

  it('restores a tracked file deleted after a poll that found the tree whole (no tracked directory changed then)', async () => {
    const { root, hash, gitSync, link, counter } = await publishedFixture();
    // Directories last changed an hour ago: the poll remembers their mtimes as the quiet state.
    const tree = join(root, '.worktrees', hash);
    const old = new Date(Date.now() - 3_600_000);
    for (const dir of [tree, join(tree, 'lib')]) await utimes(dir, old, old);
    await gitSync.syncNow();
    expect(gitSync.status().lastSyncOutcome).toBe('noop');
    await unlink(join(link, 'lib', 'util.js'));
    await gitSync.syncNow();
    await expectWhole(gitSync, link, hash);
    expect(await counter('gitpaas_git_sync_repairs_total', 'reset')).toBe(1);
  });

  it('checks the worktree out again after rm -rf, and the link stays on it', async () => {
    const { root, hash, gitSync, link, counter } = await publishedFixture();
    await rm(join(root, '.worktrees', hash), { recursive: true, force: true });
    await gitSync.syncNow();
    await expectWhole(gitSync, link, hash);
    expect(await counter('gitpaas_git_sync_repairs_total', 'recreated')).toBe(1);
    await gitSync.syncNow();
    expect(gitSync.status().lastSyncOutcome).toBe('noop');
  });

  it('fetches the commit again when the link outlived its root (a link outside --root, root cleared)', async () => {
    const { dir, remote, root } = await syncFixture();
    const hash = await remote.commit({ 'app.js': 'console.log(1)\n', 'lib/util.js': 'export {}\n' });
    const link = join(dir, 'elsewhere', 'app');
    const first = await started(makeSync({ repo: remote.url, root, link }));
    await first.stop();
    // An emptyDir root comes back empty after a restart; the link on another volume stays.
    await rm(root, { recursive: true, force: true });
    const gitSync = await started(makeSync({ repo: remote.url, root, link }));
    expect(gitSync.status()).toMatchObject({ publishedHash: hash, consecutiveFailures: 0 });
    expect(await git(link, 'rev-parse', 'HEAD')).toBe(hash);
    expect(await readFile(join(link, 'app.js'), 'utf8')).toBe('console.log(1)\n');
  });

  it('publishes the link again after it was deleted', async () => {
    const { hash, gitSync, link } = await publishedFixture();
    await unlink(link);
    await gitSync.syncNow();
    await expectWhole(gitSync, link, hash);
  });
});
