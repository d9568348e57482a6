import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpSyncs, makeSync, runBin, syncFixture, waitFor } from '../test/helpers/index.js';
import type { GitSyncError } from './index.js';

afterEach(cleanUpSyncs);

describe('sync phases (kubernetes/git-sync): --init-period and --init-max-failures until the first success', () => {
  it('retries at --init-period and tolerates --init-max-failures until the first success, then --period and --max-failures apply', async () => {
    const { remote, root } = await syncFixture();
    const gitSync = makeSync({
      repo: remote.url,
      root,
      ref: 'later',
      period: 3_600_000,
      initPeriod: 20,
      maxFailures: 0,
      initMaxFailures: -1,
    });
    const fatal: GitSyncError[] = [];
    gitSync.on('fatal', ({ error }) => fatal.push(error));
    await gitSync.start();
    // With a one-hour --period, only --init-period can bring three failures; --max-failures 0 would have stopped at one.
    await waitFor(() => gitSync.status().consecutiveFailures >= 3);
    expect(gitSync.status().nextSyncDelayMs).toBe(20);
    expect(fatal).toEqual([]);

    await remote.commit({ 'v.txt': 'later' }, 'later', 'later');
    // The state turns 'waiting' only once the loop has computed the next delay.
    await waitFor(() => gitSync.status().ready && gitSync.status().state === 'waiting');
    expect(gitSync.status().nextSyncDelayMs).toBe(3_600_000);

    await remote.deleteBranch('later');
    await gitSync.syncNow().catch(() => undefined);
    expect(fatal.map((error) => error.code)).toEqual(['E_REF_NOT_FOUND']);
    expect(gitSync.status().state).toBe('failed');
  });

  it('gives up after --init-max-failures before the first success even when --max-failures retries forever', async () => {
    const { remote, root } = await syncFixture();
    const failures: number[] = [];
    const gitSync = makeSync({
      repo: remote.url,
      root,
      ref: 'missing',
      period: 20,
      maxFailures: -1,
      initMaxFailures: 2,
    });
    const fatal = new Promise<GitSyncError>((resolve) => gitSync.on('fatal', ({ error }) => resolve(error)));
    gitSync.on('error', ({ consecutiveFailures }) => failures.push(consecutiveFailures));
    await gitSync.start();
    expect((await fatal).code).toBe('E_REF_NOT_FOUND');
    expect(failures).toEqual([1, 2]);
  });

  it('the bin rejects an --init-period under 10ms with one line', async () => {
    const result = await runBin(['--repo', 'file:///r', '--root', '/tmp/x', '--init-period', '5ms']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^git-sync: --init-period: 5ms is too small/);
  });
});
