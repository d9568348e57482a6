import { sleep } from '@gitpaas/core';
import { git, startGitDaemon, TestRemote } from '@gitpaas/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { stopAllBins } from '../src/bins.js';
import { type FaultCase, faultCase } from '../src/fault-case.js';
import { publishedRevision, revisionFiles } from '../src/revisions.js';
import { TwoBins } from '../src/stack.js';

const GROUP = 'The ref is rewritten';
const LIVE_WITHIN_MS = 15_000;

afterAll(stopAllBins);

async function servedRepo(record: FaultCase, syncArgs: string[] = []) {
  const dir = await record.tempDir('refs');
  const remote = await TestRemote.create(dir);
  const base = await remote.commit(revisionFiles('base'));
  const daemon = await startGitDaemon(dir);
  record.defer(() => daemon.stop());
  const stack = await TwoBins.start(record, dir, `${daemon.url}/repo.git`, { syncArgs });
  await stack.serving(base);
  return { remote, base, stack };
}

/** Waits for `hash` to be served and says how long that took after `since`. */
async function liveAfter(record: FaultCase, stack: TwoBins, hash: string, what: string, since: number) {
  await stack.serving(hash, LIVE_WITHIN_MS);
  record.observe(`${what}: live ${((Date.now() - since) / 1000).toFixed(1)} s later`);
}

describe(GROUP, () => {
  it('force-pushes: the branch rewound to an older commit, then replaced by an unrelated history', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      `each force-push is followed: the rewound (older) revision and then the unrelated history are each served within ${LIVE_WITHIN_MS / 1000} s, with 0 failed requests`,
    );
    const { remote, base, stack } = await servedRepo(record);
    const load = record.load(stack.port);
    const newer = await remote.commit(revisionFiles('newer'));
    await stack.serving(newer, LIVE_WITHIN_MS);

    let at = Date.now();
    await git(remote.work, 'push', '-q', '--force', 'origin', `${base}:refs/heads/main`);
    record.fault();
    await liveAfter(record, stack, base, 'rewound to the older commit', at);

    at = Date.now();
    const rewritten = await remote.forcePushNewHistory(revisionFiles('rewritten'));
    record.fault();
    await liveAfter(record, stack, rewritten, 'replaced by an unrelated history', at);
    expect(await git(stack.paths.link, 'log', '--format=%H')).toBe(rewritten);
    expect((await load.stop()).errors).toEqual([]);
  });

  it('the branch is deleted, then created again at another commit', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      `while the branch is gone, every sync fails with E_REF_NOT_FOUND and the last revision stays published and served; the recreated branch is served within ${LIVE_WITHIN_MS / 1000} s; 0 failed requests`,
    );
    const { remote, base, stack } = await servedRepo(record);
    const load = record.load(stack.port);
    const next = await remote.prepareCommits(1, () => revisionFiles('recreated'));
    await remote.deleteBranch('main');
    record.fault();
    const samples = await holdFor(stack, base, 5000);
    const status = await stack.syncStatus();
    expect(status.lastError?.code).toBe('E_REF_NOT_FOUND');
    record.observe(
      `${samples} samples over 5 s kept the last revision; the error said: ${status.lastError?.message}`,
    );

    const at = Date.now();
    await remote.setBranch(next[0]!);
    await liveAfter(record, stack, next[0]!, 'the recreated branch', at);
    expect((await load.stop()).errors).toEqual([]);
  });

  it('--ref names a tag, and the tag is moved (forward, then back)', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      `git-sync follows the annotated tag wherever it is force-pushed: forward to a new commit, then back to the old one, each served within ${LIVE_WITHIN_MS / 1000} s; 0 failed requests`,
    );
    const dir = await record.tempDir('tag');
    const remote = await TestRemote.create(dir);
    const base = await remote.commit(revisionFiles('tagged-1'));
    await remote.tag('release');
    const daemon = await startGitDaemon(dir);
    record.defer(() => daemon.stop());
    const stack = await TwoBins.start(record, dir, `${daemon.url}/repo.git`, {
      syncArgs: ['--ref', 'release'],
    });
    await stack.serving(base);
    const load = record.load(stack.port);

    const forward = await remote.commit(revisionFiles('tagged-2'));
    let at = Date.now();
    expect(await remote.tag('release')).toBe(forward);
    record.fault();
    await liveAfter(record, stack, forward, 'the tag moved forward', at);

    at = Date.now();
    await git(remote.work, 'tag', '-f', '-a', '-m', 'back', 'release', base);
    await git(remote.work, 'push', '-q', '--force', 'origin', 'refs/tags/release');
    record.fault();
    await liveAfter(record, stack, base, 'the tag moved back', at);
    expect((await publishedRevision(stack.paths.root, stack.paths.link))?.label).toBe('tagged-1');
    expect((await load.stop()).errors).toEqual([]);
  });
});

/** Samples git-sync's status for `ms`: `hash` stays published. Returns the number of samples. */
async function holdFor(stack: TwoBins, hash: string, ms: number): Promise<number> {
  const until = Date.now() + ms;
  let samples = 0;
  while (Date.now() < until) {
    expect((await stack.syncStatus()).publishedHash).toBe(hash);
    samples++;
    await sleep(250);
  }
  return samples;
}
