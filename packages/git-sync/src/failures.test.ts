import { existsSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpSyncs, makeSync, syncFixture, waitFor } from '../test/helpers/index.js';
import type { GitSyncError } from './index.js';
import { nextDelay } from './schedule.js';

afterEach(cleanUpSyncs);

describe('backoff', () => {
  it('keeps the fixed period unless a cap is set, then doubles up to the cap', () => {
    expect([1, 2, 3].map((n) => nextDelay(1000, n, 0))).toEqual([1000, 1000, 1000]);
    expect([0, 1, 2, 3, 4, 5, 50].map((n) => nextDelay(1000, n, 5000))).toEqual([
      1000, 1000, 2000, 4000, 5000, 5000, 5000,
    ]);
    expect(nextDelay(10_000, 3, 5000)).toBe(10_000);
  });
});

describe('failures', () => {
  it('gives up after --max-failures consecutive failures and keeps the last revision published', async () => {
    const { remote, root } = await syncFixture();
    const hash = await remote.hash();
    const gitSync = makeSync({
      repo: remote.url,
      root,
      link: 'app',
      ref: 'main',
      period: 20,
      maxFailures: 3,
      errorFile: 'error.json',
    });
    const fatal = new Promise<GitSyncError>((resolve) => gitSync.on('fatal', ({ error }) => resolve(error)));
    const failures: number[] = [];
    gitSync.on('error', ({ consecutiveFailures }) => failures.push(consecutiveFailures));
    await gitSync.start();
    await gitSync.syncNow();
    await remote.deleteBranch('main');
    expect((await fatal).code).toBe('E_REF_NOT_FOUND');
    expect(failures).toEqual([1, 2, 3]);
    expect(gitSync.status().state).toBe('failed');
    expect((await readlink(join(root, 'app'))).endsWith(hash)).toBe(true);
    const errorFile = JSON.parse(await readFile(join(root, 'error.json'), 'utf8'));
    expect(errorFile).toMatchObject({
      Msg: 'too many failures, giving up',
      Err: expect.stringContaining('--ref main'),
      Args: { failCount: 3 },
    });
  });

  it('backs off exponentially under --max-sync-backoff, retries forever with -1, and clears the error file on success', async () => {
    const { remote, root } = await syncFixture();
    const gitSync = makeSync({
      repo: remote.url,
      root,
      ref: 'later',
      period: 20,
      maxSyncBackoff: 160,
      maxFailures: -1,
      errorFile: 'err/e.json',
    });
    const delays: number[] = [];
    await gitSync.start();
    await waitFor(
      () => {
        const { consecutiveFailures, nextSyncDelayMs, state } = gitSync.status();
        if (
          state === 'waiting' &&
          nextSyncDelayMs !== null &&
          delays[consecutiveFailures - 1] === undefined
        ) {
          delays[consecutiveFailures - 1] = nextSyncDelayMs;
        }
        return consecutiveFailures >= 6;
      },
      { interval: 2 },
    );
    expect(delays.filter((d) => d !== undefined).every((d, i, all) => i === 0 || d >= all[i - 1]!)).toBe(
      true,
    );
    expect(Math.max(...delays.filter(Boolean))).toBe(160);
    expect(existsSync(join(root, 'err/e.json'))).toBe(true);
    await remote.commit({ 'v.txt': 'later' }, 'later', 'later');
    await gitSync.syncNow();
    expect(existsSync(join(root, 'err/e.json'))).toBe(false);
    expect(gitSync.status()).toMatchObject({ consecutiveFailures: 0, lastError: null, ready: true });
  });

  it('touches --touch-file when a revision is published', async () => {
    const { remote, root } = await syncFixture();
    const gitSync = makeSync({ repo: remote.url, root, touchFile: 'synced' });
    await gitSync.start();
    await gitSync.syncNow();
    expect(existsSync(join(root, 'synced'))).toBe(true);
  });
});
