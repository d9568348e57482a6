import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runBin, TestRemote } from '../test/helpers/index.js';
import { removeTempDirs, script, tempDir, waitFor } from './hooks.test-helpers.js';
import { createGitSync, type GitSync, type RejectEvent } from './index.js';

const running: GitSync[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((gs) => gs.stop()));
  await removeTempDirs();
});

describe('pre-publish gate through the sync loop', () => {
  it('keeps the previous revision published when the gate rejects, skips that hash, and publishes the fixing push', async () => {
    const dir = await tempDir();
    const remote = await TestRemote.create(dir);
    const runs = join(dir, 'gate-runs.log');
    // The gate fails while the tree holds a BROKEN file and prints why.
    const gate = await script(
      dir,
      'gate',
      `echo "$GITSYNC_HASH" >> ${runs}
if [ -f BROKEN ]; then echo "running tests"; echo "FAIL app.test.js: expected 200, got 500"; exit 1; fi`,
    );
    const root = join(dir, 'root');
    const gs = createGitSync({
      repo: remote.url,
      root,
      ref: 'main',
      period: 3_600_000,
      maxFailures: -1,
      prePublishExechookCommand: gate,
      prePublishExechookTimeout: 30_000,
    });
    running.push(gs);
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
    const dir = await tempDir();
    const remote = await TestRemote.create(dir);
    const gate = await script(dir, 'gate', 'echo "smoke test failed"; exit 1');
    const root = join(dir, 'root');
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
