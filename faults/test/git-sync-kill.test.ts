import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { groupAlive, waitFor } from '@gitpaas/core';
import { git, startGitDaemon, TestRemote } from '@gitpaas/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { stopAllBins } from '../src/bins.js';
import { faultCase } from '../src/fault-case.js';
import { prepareRevisions, publishedRevision, revisionFiles } from '../src/revisions.js';
import { TwoBins } from '../src/stack.js';

const GROUP = 'SIGKILL of git-sync during syncs';
const KILLS = 12;

afterAll(stopAllBins);

describe(GROUP, () => {
  it.for([
    ['the git-sync process alone (its git children live on)', false],
    ['its whole process group (git-sync and every git it runs)', true],
  ] as const)('SIGKILL of %s, 12 times in the middle of a sync', async ([, group], context) => {
    const record = faultCase(
      context,
      GROUP,
      `${KILLS} kills, each after 1–12 git commands of a sync to a new revision, then a restart: the link always names a complete tree of one revision, the app keeps serving (0 failed requests), the restarted git-sync publishes the newest revision within 30 s, and the repository passes git fsck`,
    );
    const dir = await record.tempDir('kill');
    const remote = await TestRemote.create(dir);
    const base = await remote.commit(revisionFiles('base'));
    const hashes = await prepareRevisions(remote, KILLS + 1, 'kill');
    const daemon = await startGitDaemon(dir);
    record.defer(() => daemon.stop());
    const stack = await TwoBins.start(record, dir, `${daemon.url}/repo.git`, { syncArgs: ['-v', '1'] });
    await stack.serving(base);
    const load = record.load(stack.port);
    const killedGroups: number[] = [];
    let publishedBeforeKill = 0;
    for (let i = 0; i < KILLS; i++) {
      await remote.setBranch(hashes[i]!);
      const sync = i === 0 ? stack.sync : stack.startSync();
      // Kill points spread over a sync: ls-remote, fetch, worktree, publish, clean-up.
      const commands = 1 + ((i * 5) % 12);
      const before = i === 0 ? countGitRuns(sync.stderr) : 0;
      await waitFor(() => countGitRuns(sync.stderr) - before >= commands || !sync.running, {
        timeout: 30_000,
        interval: 2,
        message: `${commands} git commands`,
      });
      if (group) sync.killGroup();
      else process.kill(sync.pid, 'SIGKILL');
      killedGroups.push(sync.pid);
      await sync.exited;
      record.fault();
      const now = await publishedRevision(stack.paths.root, stack.paths.link);
      expect(now, 'the link disappeared after a publish').not.toBeNull();
      expect([base, ...hashes]).toContain(now!.hash);
      if (now!.hash === hashes[i]) publishedBeforeKill++;
    }
    const tip = hashes[KILLS]!;
    await remote.setBranch(tip);
    const restartedAt = Date.now();
    stack.startSync();
    await waitFor(async () => (await publishedRevision(stack.paths.root, stack.paths.link))?.hash === tip, {
      timeout: 30_000,
      message: 'the tip published after the last restart',
    });
    record.observe(
      `the tip was published ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the last restart`,
    );
    record.observe(
      `${publishedBeforeKill} of the ${KILLS} killed syncs had published their revision before the kill`,
    );
    await stack.serving(tip);
    const result = await load.stop();
    expect(result.errors).toEqual([]);
    expect(result.sent).toBeGreaterThan(0);
    await expect(
      git(stack.paths.root, 'fsck', '--connectivity-only', '--no-progress', '--no-dangling'),
    ).resolves.toBe('');
    expect((await readdir(stack.paths.root)).filter((name) => name.includes('gitsync-tmp'))).toEqual([]);
    expect(await readdir(join(stack.paths.root, '.worktrees'))).toContain(tip);
    const failed = (await stack.reloaderStatus()).releases.filter((release) => release.outcome === 'failed');
    expect(failed).toEqual([]);
    // Orphaned git processes of the runs killed alone finish their work and exit.
    await waitFor(() => killedGroups.every((pgid) => !groupAlive(pgid)), {
      timeout: 30_000,
      message: 'no process left in the killed runs’ groups',
    });
  });
});

function countGitRuns(stderr: string): number {
  return stderr.match(/"msg":"running git"/g)?.length ?? 0;
}
