import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanUpSyncs,
  makeSync,
  memoryLogger,
  started,
  stopAllSyncs,
  syncFixture,
} from '../test/helpers/index.js';
import type { GitSync } from './index.js';
import { PIN_FILE } from './rollback.js';

afterEach(cleanUpSyncs);

async function published(root: string): Promise<string> {
  return (await readlink(join(root, 'repo.git'))).split('/').pop()!;
}

/** git_fetch_count_total: a rollback to a kept revision must not move it. */
async function fetches(gitSync: GitSync): Promise<number> {
  const text = await gitSync.registry.metrics();
  return Number(/^git_fetch_count_total (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Three revisions pushed and published one after the other; returns their hashes, oldest first. */
async function threeRevisions(gitSync: GitSync, push: (n: number) => Promise<string>): Promise<string[]> {
  const hashes: string[] = [];
  for (const n of [1, 2, 3]) {
    hashes.push(await push(n));
    await gitSync.syncNow('test');
  }
  return hashes;
}

describe('rollback', () => {
  it('publishes a kept revision with no fetch and keeps it across polls until the ref moves', async () => {
    const { remote, root } = await syncFixture();
    const gitSync = await started(makeSync({ repo: remote.url, root, keepRevisions: 3 }));
    const v0 = await published(root);
    const [v1, v2, v3] = await threeRevisions(gitSync, (n) => remote.commit({ 'v.txt': `${n}\n` }, `v${n}`));
    expect(gitSync.status().kept.map((kept) => kept.hash)).toEqual([v2, v1, v0]);
    const before = await fetches(gitSync);

    const events: string[] = [];
    gitSync.on('pin', (e) => events.push(`pin ${e.hash} from ${e.from}`));
    gitSync.on('unpin', (e) => events.push(`unpin ${e.reason}`));
    expect(await gitSync.rollback(v1!.slice(0, 8))).toEqual({ hash: v1, from: v3 });
    expect(await published(root)).toBe(v1);
    expect(await readFile(join(root, 'repo.git', 'v.txt'), 'utf8')).toBe('1\n');
    expect(await fetches(gitSync)).toBe(before);
    expect(gitSync.status().pinned).toMatchObject({ hash: v1, from: v3, refHash: v3 });

    // Polls while the ref stays where it was do not undo the rollback.
    for (let i = 0; i < 3; i++) await gitSync.syncNow('poll');
    expect(await published(root)).toBe(v1);

    const v4 = await remote.commit({ 'v.txt': '4\n' }, 'v4');
    await gitSync.syncNow('poll');
    expect(await published(root)).toBe(v4);
    expect(gitSync.status().pinned).toBeNull();
    expect(events).toEqual([`pin ${v1} from ${v3}`, 'unpin ref-moved']);
  });

  it('rolls back to the previous kept revision when none is named, and clears back to the ref', async () => {
    const { remote, root } = await syncFixture();
    const gitSync = await started(makeSync({ repo: remote.url, root, keepRevisions: 2 }));
    const [, v2, v3] = await threeRevisions(gitSync, (n) => remote.commit({ 'v.txt': `${n}\n` }, `v${n}`));
    expect((await gitSync.rollback()).hash).toBe(v2);
    expect(await published(root)).toBe(v2);
    expect(await gitSync.clearRollback()).toBe(true);
    await gitSync.syncNow('test');
    expect(await published(root)).toBe(v3);
    expect(gitSync.status().pinned).toBeNull();
    expect(await gitSync.clearRollback()).toBe(false);
  });

  it('keeps the rollback across a restart while the ref has not moved', async () => {
    const { remote, root } = await syncFixture();
    const first = await started(makeSync({ repo: remote.url, root, keepRevisions: 2 }));
    const [v1] = await threeRevisions(first, (n) => remote.commit({ 'v.txt': `${n}\n` }, `v${n}`));
    await first.rollback(v1);
    await stopAllSyncs();
    expect(JSON.parse(await readFile(join(root, '.git', PIN_FILE), 'utf8'))).toMatchObject({ hash: v1 });

    const logger = memoryLogger();
    const second = await started(makeSync({ repo: remote.url, root, keepRevisions: 2, logger }));
    await second.syncNow('poll');
    expect(await published(root)).toBe(v1);
    expect(second.status().pinned).toMatchObject({ hash: v1 });
    expect(logger.lines.join('\n')).toContain('rolled back by an earlier run');

    const v4 = await remote.commit({ 'v.txt': '4\n' }, 'v4');
    await second.syncNow('poll');
    expect(await published(root)).toBe(v4);
  });

  it('fetches a revision that is no longer kept by its hash', async () => {
    const { remote, root } = await syncFixture();
    const gitSync = await started(makeSync({ repo: remote.url, root, keepRevisions: 0 }));
    const [v1] = await threeRevisions(gitSync, (n) => remote.commit({ 'v.txt': `${n}\n` }, `v${n}`));
    expect(await readdir(join(root, '.worktrees'))).toHaveLength(1);
    const before = await fetches(gitSync);
    await gitSync.rollback(v1);
    expect(await published(root)).toBe(v1);
    expect(await fetches(gitSync)).toBe(before + 1);
  });

  it('says why a revision cannot be had, and leaves the published one and the loop alone', async () => {
    const { remote, root } = await syncFixture();
    const gitSync = await started(makeSync({ repo: remote.url, root, maxFailures: 0 }));
    const live = await published(root);
    await expect(gitSync.rollback('0123456789abcdef0123456789abcdef01234567')).rejects.toMatchObject({
      code: 'E_ROLLBACK',
      message: expect.stringMatching(/not kept here and the remote did not send it by hash/),
    });
    await expect(gitSync.rollback('abcdef12')).rejects.toMatchObject({
      code: 'E_ROLLBACK',
      message: expect.stringContaining('give the full hash'),
    });
    await expect(gitSync.rollback()).rejects.toMatchObject({
      message: expect.stringContaining('--keep-revisions'),
    });
    expect(await published(root)).toBe(live);
    expect(gitSync.status()).toMatchObject({ consecutiveFailures: 0, pinned: null });
    await gitSync.syncNow('still syncing');
  });

  it('does not publish a revision the pre-publish gate rejects', async () => {
    const { dir, remote, root } = await syncFixture();
    const { script } = await import('../test/helpers/index.js');
    const gate = await script(dir, 'gate.sh', 'test ! -e broken');
    const gitSync = await started(
      makeSync({ repo: remote.url, root, keepRevisions: 2, prePublishExechookCommand: gate }),
    );
    const good = await published(root);
    const broken = await remote.commit({ broken: 'yes' }, 'broken');
    await gitSync.syncNow('test');
    expect(await published(root)).toBe(good);
    await expect(gitSync.rollback(broken)).rejects.toMatchObject({ code: 'E_ROLLBACK_REJECTED' });
    expect(gitSync.status().pinned).toBeNull();
  });
});
