import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { descendantsOf, sleep, waitFor } from '@gitpaas/core';
import { hangSwitch, startGitDaemon, TestRemote } from '@gitpaas/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { stopAllBins } from '../src/bins.js';
import { type FaultCase, faultCase } from '../src/fault-case.js';
import { getText, metric } from '../src/http.js';
import { revisionFiles } from '../src/revisions.js';
import { TwoBins } from '../src/stack.js';
import { FaultyLink } from '../src/tcp-proxy.js';

const GROUP = 'The remote fails';
const OUTAGE_MS = 60_000;

afterAll(stopAllBins);

/** A repository served by git daemon behind a link whose failure the case switches, and the two bins on it. */
async function remoteBehindLink(record: FaultCase, syncArgs: string[], daemonEnv?: Record<string, string>) {
  const dir = await record.tempDir('remote');
  const remote = await TestRemote.create(dir);
  const base = await remote.commit(revisionFiles('base'));
  const daemon = await startGitDaemon(dir, { env: daemonEnv });
  record.defer(() => daemon.stop());
  const link = await FaultyLink.start(daemon.port);
  record.defer(() => link.close());
  const stack = await TwoBins.start(record, dir, `git://127.0.0.1:${link.port}/repo.git`, { syncArgs });
  await stack.serving(base);
  return { dir, remote, base, link, stack };
}

/** git processes git-sync runs now. */
function gitsUnder(pid: number): number {
  return descendantsOf(pid).filter((info) => info.comm === 'git').length;
}

describe.concurrent(GROUP, () => {
  it('the remote is down (connections refused) for 60 s, then back', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'a push made while the remote is down for 60 s (--period 500ms, --max-sync-backoff 4s): the last good revision stays published and served (0 failed requests); the failure shows in /status, the error file and /metrics; retries back off (at most 25 attempts in 60 s, not 120); the push is live within 15 s of the remote’s return',
    );
    const { remote, base, link, stack } = await remoteBehindLink(record, ['--max-sync-backoff', '4s']);
    const load = record.load(stack.port);
    const metricsBefore = (await getText(`${stack.syncUrl}/metrics`)).text;
    await link.set('down');
    record.fault();
    const pushed = await remote.commit(revisionFiles('pushed-while-down'));
    const downAt = Date.now();
    let samples = 0;
    while (Date.now() - downAt < OUTAGE_MS) {
      const status = await stack.syncStatus();
      expect(status.publishedHash).toBe(base);
      samples++;
      await sleep(1000);
    }
    const status = await stack.syncStatus();
    expect(status.consecutiveFailures).toBeGreaterThan(0);
    expect(status.lastError?.code).toBe('E_GIT_LS_REMOTE');
    const errorFile = JSON.parse(await readFile(stack.paths.errorFile, 'utf8')) as { Msg: string };
    expect(errorFile.Msg).toMatch(/\w/);
    const metrics = (await getText(`${stack.syncUrl}/metrics`)).text;
    const failed = { status: 'error' };
    const attempts =
      metric(metrics, 'git_sync_count_total', failed) - metric(metricsBefore, 'git_sync_count_total', failed);
    expect(metric(metrics, 'gitpaas_git_sync_consecutive_failures')).toBeGreaterThan(0);
    expect(attempts).toBeGreaterThan(3);
    expect(attempts).toBeLessThanOrEqual(25);
    expect([...load.result.revisions.keys()]).toEqual([base]);
    record.observe(
      `${attempts} attempts to reach the remote in ${OUTAGE_MS / 1000} s; ${samples} status samples all showed the last good revision; the error said: ${status.lastError?.message}`,
    );

    await link.set('up');
    const backAt = Date.now();
    await stack.serving(pushed, 15_000);
    record.observe(
      `the push was served ${((Date.now() - backAt) / 1000).toFixed(1)} s after the remote came back`,
    );
    await waitFor(() => !existsSync(stack.paths.errorFile), {
      timeout: 5000,
      message: 'the error file removed',
    });
    expect((await stack.syncStatus()).consecutiveFailures).toBe(0);
    expect((await load.stop()).errors).toEqual([]);
  });

  it('the remote accepts connections and never answers, past --sync-timeout', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'a push while every connection to the remote stalls for 15 s (--sync-timeout 3s): each sync ends with E_TIMEOUT within the timeout (+2 s), no git process is left hanging (at most the fetch and a clean of the pooled worktree beside it at any sample), the last good revision stays served (0 failed requests); the push is live within 15 s of the remote answering again',
    );
    const { remote, base, link, stack } = await remoteBehindLink(record, ['--sync-timeout', '3s']);
    const load = record.load(stack.port);
    await link.set('stall');
    const pushed = await remote.commit(revisionFiles('pushed-while-stalled'));
    await expectTimeouts(record, stack, base, 15_000);
    await link.set('up');
    const backAt = Date.now();
    await stack.serving(pushed, 15_000);
    record.observe(
      `${link.stalled} connections stalled; the push was served ${((Date.now() - backAt) / 1000).toFixed(1)} s after the remote answered again`,
    );
    expect((await load.stop()).errors).toEqual([]);
  });

  it('the remote answers ls-remote, then stalls in the middle of sending the pack', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'a push while the remote’s pack-objects hangs for 15 s (--sync-timeout 3s): each fetch is killed with E_TIMEOUT within the timeout (+2 s), no git process is left hanging (at most the fetch and a clean beside it), the last good revision stays served (0 failed requests); the push is live within 15 s of the remote sending packs again',
    );
    const hang = await hangSwitch(await record.tempDir('hang'));
    record.defer(() => hang.cleanup());
    const { remote, base, stack } = await remoteBehindLink(record, ['--sync-timeout', '3s'], hang.serverEnv);
    const load = record.load(stack.port);
    await hang.engage();
    const pushed = await remote.commit(revisionFiles('pushed-while-hanging'));
    await waitFor(() => hang.hanging(), { message: 'a fetch hanging in pack-objects' });
    await expectTimeouts(record, stack, base, 15_000);
    await hang.release();
    const backAt = Date.now();
    await stack.serving(pushed, 15_000);
    record.observe(
      `the push was served ${((Date.now() - backAt) / 1000).toFixed(1)} s after the remote sent packs again`,
    );
    expect((await load.stop()).errors).toEqual([]);
  });
});

/** For `ms`: syncs time out within --sync-timeout (3 s) + 2 s, no git piles up (at most the fetch and a clean), `base` stays published. */
async function expectTimeouts(record: FaultCase, stack: TwoBins, base: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  let maxGits = 0;
  let longest = 0;
  while (Date.now() < until) {
    maxGits = Math.max(maxGits, gitsUnder(stack.sync.pid));
    const status = await stack.syncStatus();
    expect(status.publishedHash).toBe(base);
    longest = Math.max(longest, status.lastSyncDurationMs ?? 0);
    await sleep(200);
  }
  const status = await stack.syncStatus();
  expect(status.lastError?.code).toBe('E_TIMEOUT');
  expect(status.consecutiveFailures).toBeGreaterThan(0);
  expect(longest).toBeLessThanOrEqual(5000);
  // The fetch, and beside it the clean of the pooled worktree the update will reset (git-sync
  // cleans it while the fetch runs); more would be gits left from earlier attempts piling up.
  expect(maxGits).toBeLessThanOrEqual(2);
  record.fault(status.consecutiveFailures);
  record.observe(
    `${status.consecutiveFailures} syncs timed out, the longest took ${longest} ms; at most ${maxGits} git process ran at any sample; the error said: ${status.lastError?.message}`,
  );
}
