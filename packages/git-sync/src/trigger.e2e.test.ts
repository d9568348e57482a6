import { readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanUpSyncs,
  memoryLogger,
  runBin,
  signedPush,
  spawnBin,
  syncFixture,
  syncWithTrigger,
  waitFor,
} from '../test/helpers/index.js';
import type { GitSync } from './index.js';

const SECRET = 'e2e-trigger-secret';
afterEach(cleanUpSyncs);

const startWithTrigger = (extra: Parameters<typeof syncWithTrigger>[1] = {}) =>
  syncWithTrigger(SECRET, extra);
const githubPush = (url: string, ref: string, secret = SECRET) => signedPush(url, secret, { ref });

async function metric(gs: GitSync, name: string, labels: Record<string, string> = {}) {
  const m = await gs.registry.getSingleMetric(name)!.get();
  return m.values
    .filter((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('POST /sync through the sync loop', () => {
  it('publishes a push as soon as a signed GitHub notification arrives, not at the next period', async () => {
    const { gs, remote, url } = await startWithTrigger();
    const next = await remote.commit({ 'app.js': 'v2\n' });
    expect((await githubPush(url, 'refs/heads/main')).status).toBe(202);
    await waitFor(() => gs.status().publishedHash === next, { message: 'the triggered publish' });
    expect(await metric(gs, 'gitpaas_trigger_requests_total', { outcome: 'accepted' })).toBe(1);
  });

  it('fetches an announced push without asking the remote first; a library syncNow() still asks first', async () => {
    const { gs, remote, url } = await startWithTrigger();
    // The first sync into an empty root fetched at once too.
    expect(await metric(gs, 'gitpaas_git_sync_ls_remote_total')).toBe(0);
    const fetches = await metric(gs, 'git_fetch_count_total');
    const next = await remote.commit({ 'app.js': 'v2\n' });
    expect((await githubPush(url, 'refs/heads/main')).status).toBe(202);
    await waitFor(() => gs.status().publishedHash === next, { message: 'the triggered publish' });
    expect(await metric(gs, 'gitpaas_git_sync_ls_remote_total')).toBe(0);
    expect(await metric(gs, 'git_fetch_count_total')).toBe(fetches + 1);
    await gs.syncNow('library call');
    expect(await metric(gs, 'gitpaas_git_sync_ls_remote_total')).toBe(1);
    expect(await metric(gs, 'git_fetch_count_total')).toBe(fetches + 1);
    expect(gs.status().lastSyncOutcome).toBe('noop');
  });

  it('does not sync on a bad signature or a push to another branch', async () => {
    const { gs, remote, url } = await startWithTrigger();
    const syncs = gs.status().syncCount;
    const before = gs.status().lastSyncAt;
    await remote.commit({ 'app.js': 'v2\n' });
    expect((await githubPush(url, 'refs/heads/main', 'forged')).status).toBe(401);
    const other = await githubPush(url, 'refs/heads/feature');
    expect(other.status).toBe(202);
    expect(other.json.outcome).toBe('ignored');
    expect(gs.status().lastSyncAt).toBe(before);
    expect(gs.status().syncCount).toBe(syncs);
    expect(await metric(gs, 'gitpaas_trigger_requests_total', { outcome: 'unauthorized' })).toBe(1);
    const metrics = await (await fetch(url.replace('/sync', '/metrics'))).text();
    expect(metrics).toContain('gitpaas_trigger_requests_total{outcome="ignored"} 1');
  });

  it('coalesces a burst of 100 signed triggers into at most 2 fetches, each reason named once', async () => {
    const logger = memoryLogger();
    const { gs, remote, url } = await startWithTrigger({ logger });
    const fetchesBefore = await metric(gs, 'git_fetch_count_total');
    const next = await remote.commit({ 'app.js': 'burst\n' });
    const statuses = await Promise.all(
      Array.from({ length: 100 }, () => githubPush(url, 'refs/heads/main').then((r) => r.status)),
    );
    expect(statuses.every((s) => s === 202)).toBe(true);
    await waitFor(() => gs.status().publishedHash === next, { message: 'the burst to publish' });
    // Whatever is still queued runs once more and finds nothing new.
    await gs.syncNow('settle');
    const fetches = (await metric(gs, 'git_fetch_count_total')) - fetchesBefore;
    expect(fetches).toBeGreaterThanOrEqual(1);
    expect(fetches).toBeLessThanOrEqual(2);
    const reasons = logger.lines
      .map((line) => JSON.parse(line) as { msg: string; reason?: string })
      .filter((line) => line.msg === 'syncing')
      .map((line) => line.reason ?? '')
      .filter((reason) => reason.includes('trigger'));
    expect(reasons.length).toBeGreaterThanOrEqual(1);
    // A trigger still queued when the test asks to settle shares that sync: "…, settle".
    for (const reason of reasons) {
      expect(reason.split(', ').filter((part) => part !== 'settle')).toEqual([
        'trigger: push to refs/heads/main',
      ]);
    }
  });

  it('syncs on the --sync-on-signal signal', async () => {
    const keepAlive = () => {};
    process.on('SIGUSR2', keepAlive);
    try {
      const { gs, remote } = await startWithTrigger({ syncOnSignal: 'SIGUSR2' });
      const next = await remote.commit({ 'app.js': 'signal\n' });
      process.kill(process.pid, 'SIGUSR2');
      await waitFor(() => gs.status().publishedHash === next, { message: 'the signalled publish' });
    } finally {
      process.off('SIGUSR2', keepAlive);
    }
  });
});

describe('the git-sync bin with --sync-on-signal', () => {
  it('syncs on SIGHUP instead of dying of it', async () => {
    const { remote, root } = await syncFixture();
    const bin = spawnBin(
      ['--repo', remote.url, '--root', root, '--ref', 'main', '--period', '1h'].concat([
        '--sync-on-signal',
        'HUP',
        '--max-failures',
        '-1',
        '--link',
        'app',
      ]),
    );
    try {
      const first = await remote.hash();
      await waitFor(async () => (await readlink(join(root, 'app'))) === `.worktrees/${first}`, {
        message: 'the first publish',
      });
      const next = await remote.commit({ 'app.js': 'hup\n' });
      bin.child.kill('SIGHUP');
      await waitFor(async () => (await readlink(join(root, 'app'))) === `.worktrees/${next}`, {
        message: 'the publish after SIGHUP',
      });
      expect(bin.child.exitCode).toBeNull();
    } finally {
      await bin.stop();
    }
  });

  it('refuses a signal name it does not know with a usage error naming the flag', async () => {
    const result = await runBin([
      '--repo',
      'file:///nowhere',
      '--root',
      '/tmp/nowhere',
      '--sync-on-signal',
      'SIGNOPE',
    ]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--sync-on-signal "SIGNOPE" is not a signal/);
  });
});
