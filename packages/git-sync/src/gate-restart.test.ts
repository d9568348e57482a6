import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpSyncs, makeSync, script, syncFixture } from '../test/helpers/index.js';
import type { GitSync, GitSyncOptions } from './index.js';

afterEach(cleanUpSyncs);

function start(options: GitSyncOptions): GitSync {
  const gs = makeSync({ period: 3_600_000, maxFailures: -1, ref: 'main', ...options });
  return gs;
}

describe('a gate rejection survives a restart', () => {
  it('is not judged again by the same gate after a restart, and is by a changed one', async () => {
    const { dir, remote, root } = await syncFixture();
    const runs = join(dir, 'runs.log');
    const strict = await script(
      dir,
      'strict',
      `echo "$GITSYNC_HASH" >> ${runs}\n[ ! -f BROKEN ] || { echo "BROKEN is there"; exit 1; }`,
    );

    const first = start({ repo: remote.url, root, prePublishExechookCommand: strict });
    await first.start();
    await first.syncNow();
    const good = await remote.hash();
    const bad = await remote.commit({ BROKEN: 'yes' });
    await first.syncNow();
    expect(first.status().rejected).toMatchObject({ hash: bad, output: ['BROKEN is there'] });
    await first.stop();
    const judged = (await readFile(runs, 'utf8')).trim().split('\n');
    expect(judged).toEqual([good, bad]);

    // Same gate after a restart: the verdict is kept and shown, the gate does not run again.
    const second = start({ repo: remote.url, root, prePublishExechookCommand: strict });
    await second.start();
    await second.syncNow();
    expect(second.status().rejected).toMatchObject({ hash: bad, reason: expect.stringContaining('exited') });
    expect(second.status().publishedHash).toBe(good);
    const metrics = await second.registry.metrics();
    expect(metrics).toContain(`gitpaas_gate_rejected{hash="${bad}"} 1`);
    await second.stop();
    expect((await readFile(runs, 'utf8')).trim().split('\n')).toEqual(judged);

    // A different gate command judges the hash afresh.
    const lenient = await script(dir, 'lenient', `echo "$GITSYNC_HASH" >> ${runs}`);
    const third = start({ repo: remote.url, root, prePublishExechookCommand: lenient });
    await third.start();
    await third.syncNow();
    expect(third.status()).toMatchObject({ publishedHash: bad, rejected: null });
    expect(await readlink(join(root, 'repo.git'))).toBe(`.worktrees/${bad}`);
    expect((await readFile(runs, 'utf8')).trim().split('\n')).toEqual([...judged, bad]);
  });
});
