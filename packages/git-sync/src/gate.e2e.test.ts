import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpSyncs, makeSync, runBin, script, syncFixture, waitFor } from '../test/helpers/index.js';
import type { RejectEvent } from './index.js';

afterEach(cleanUpSyncs);

describe('pre-publish gate through the sync loop', () => {
  it('keeps the previous revision published when the gate rejects, skips that hash, and publishes the fixing push', async () => {
    const { dir, remote, root } = await syncFixture();
    const runs = join(dir, 'gate-runs.log');
    // The gate fails while the tree holds a BROKEN file and prints why.
    const gate = await script(
      dir,
      'gate',
      `echo "$GITSYNC_HASH" >> ${runs}
if [ -f BROKEN ]; then echo "running tests"; echo "FAIL app.test.js: expected 200, got 500"; exit 1; fi`,
    );
    const gs = makeSync({
      repo: remote.url,
      root,
      ref: 'main',
      period: 3_600_000,
      maxFailures: -1,
      prePublishExechookCommand: gate,
      prePublishExechookTimeout: 30_000,
    });
    const rejects: RejectEvent[] = [];
    gs.on('reject', (e) => rejects.push(e));
    await gs.start();
    const good = await remote.hash();
    await waitFor(() => gs.status().publishedHash === good, { message: 'the first publish' });

    const bad = await remote.commit({ BROKEN: 'yes\n' }, 'breaks the tests');
    await gs.syncNow('test');
    expect(gs.status().publishedHash).toBe(good);
    expect(await readlink(join(root, 'repo.git'))).toBe(`.worktrees/${good}`);
    expect(rejects).toEqual([
      {
        hash: bad,
        reason: `${gate} exited with code 1`,
        output: 'running tests\nFAIL app.test.js: expected 200, got 500',
      },
    ]);
    expect(gs.status().rejected).toMatchObject({
      hash: bad,
      output: ['running tests', 'FAIL app.test.js: expected 200, got 500'],
    });
    expect(await gs.registry.metrics()).toContain(`gitpaas_gate_rejected{hash="${bad}"} 1`);
    // Consumers never see the rejected tree.
    expect(await readdir(join(root, '.worktrees'))).toEqual([good]);

    // The ref has not moved: the rejected hash is not checked out or gated again.
    await gs.syncNow('test again');
    expect((await readFile(runs, 'utf8')).trim().split('\n')).toEqual([good, bad]);
    expect(rejects).toHaveLength(1);

    const fixed = await remote.commit({ BROKEN: null }, 'fix');
    await gs.syncNow('fixed');
    expect(gs.status().publishedHash).toBe(fixed);
    expect(gs.status().rejected).toBeNull();
    expect(await readlink(join(root, 'repo.git'))).toBe(`.worktrees/${fixed}`);
    expect((await readFile(runs, 'utf8')).trim().split('\n')).toEqual([good, bad, fixed]);
  });
});

describe('the gate with --one-time', () => {
  it('exits 1 and publishes nothing when the gate rejects the revision', async () => {
    const { dir, remote, root } = await syncFixture();
    const gate = await script(dir, 'gate', 'echo "smoke test failed"; exit 1');
    const result = await runBin([
      ...['--repo', remote.url, '--root', root, '--ref', 'main', '--one-time', '--link', 'app'],
      ...['--pre-publish-exechook-command', gate],
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `the pre-publish gate rejected ${await remote.hash()}: ${gate} exited with code 1`,
    );
    await expect(readlink(join(root, 'app'))).rejects.toThrow(/ENOENT/);
  });
});
