import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpSyncs, git, makeSync, started, syncFixture, waitFor } from '../test/helpers/index.js';
import { layoutFor } from './layout.js';
import { removeOrphanRecords } from './orphan-records.js';

afterEach(cleanUpSyncs);

describe('removeOrphanRecords', () => {
  it('drops worktree records left locked by a killed `git worktree add`, keeping live ones', async () => {
    const { remote, root } = await syncFixture();
    const gitSync = await started(makeSync({ repo: remote.url, root, link: 'app' }));
    // The spare tree made after the publish: a live record of the recycling pool.
    const pool = join(root, '.git', 'gitpaas-recycle');
    await waitFor(async () => (await readdir(pool).catch(() => [])).length === 1, { message: 'the spare' });
    await gitSync.stop();
    const hash = await remote.hash();
    // What a SIGKILL during `git worktree add` leaves: a locked record whose tree was removed.
    const orphan = join(root, '.git', 'worktrees', 'f'.repeat(40));
    await mkdir(orphan, { recursive: true });
    await writeFile(join(orphan, 'locked'), 'initializing');
    await writeFile(join(orphan, 'gitdir'), `${join(root, '.worktrees', 'f'.repeat(40))}/.git\n`);
    await writeFile(join(orphan, 'HEAD'), `${hash}\n`);
    await writeFile(join(orphan, 'commondir'), '../..\n');
    await git(root, 'worktree', 'prune');
    expect(existsSync(orphan)).toBe(true);

    expect(await removeOrphanRecords(layoutFor(root, 'app'))).toEqual([orphan]);
    const records = await readdir(join(root, '.git', 'worktrees'));
    expect(records.filter((name) => !name.startsWith('gitpaas-recycle-'))).toEqual([hash]);
    expect(records.length).toBe(2);
    expect(await git(join(root, 'app'), 'rev-parse', 'HEAD')).toBe(hash);
  });
});
