import { waitFor } from '@gitpaas/core';
import { startGitDaemon, TestRemote } from '@gitpaas/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { stopAllBins } from '../src/bins.js';
import { type FaultCase, faultCase } from '../src/fault-case.js';
import { alive, listening, startedBy } from '../src/processes.js';
import { revisionFiles } from '../src/revisions.js';
import { type Release, TwoBins } from '../src/stack.js';

const GROUP = 'The app misbehaves';

afterAll(stopAllBins);

/** A stack serving a good revision, with the steady load running; `push` commits a revision of the app. */
async function servedApp(record: FaultCase, first: Record<string, unknown> = {}) {
  const dir = await record.tempDir('apps');
  const remote = await TestRemote.create(dir);
  const base = await remote.commit(revisionFiles('base', first));
  const daemon = await startGitDaemon(dir);
  record.defer(() => daemon.stop());
  const stack = await TwoBins.start(record, dir, `${daemon.url}/repo.git`);
  await stack.serving(base);
  const load = record.load(stack.port, { connections: 1 });
  const push = (label: string, app: Record<string, unknown> = {}) => remote.commit(revisionFiles(label, app));
  return { base, stack, load, push };
}

/** Waits for the release of `hash` to end as `outcome`; returns it. */
async function releaseOf(stack: TwoBins, hash: string, outcome: Release['outcome'], timeout = 30_000) {
  return waitFor(
    async () =>
      (await stack.reloaderStatus()).releases.find((r) => r.revision === hash && r.outcome === outcome),
    { timeout, message: `${hash.slice(0, 7)} ${outcome}` },
  );
}

/** A broken revision is pushed: it must end `failed` while `base` keeps serving every request. */
async function keepsOld(record: FaultCase, app: Record<string, unknown>, reason: RegExp) {
  const { base, stack, load, push } = await servedApp(record);
  const broken = await push('broken', app);
  record.fault();
  const release = await releaseOf(stack, broken, 'failed');
  expect(release.reason).toMatch(reason);
  expect((await stack.reloaderStatus()).current?.revision).toBe(base);
  const result = await load.stop();
  expect(result.errors).toEqual([]);
  expect([...result.revisions.keys()]).toEqual([base]);
  record.observe(`the release failed: ${release.reason}`);
  return { stack, broken };
}

/** When traffic switched to `hash` (the reloader's clock: this machine's), once it serves. */
async function switched(stack: TwoBins, hash: string): Promise<number> {
  await stack.serving(hash);
  const release = await releaseOf(stack, hash, 'live');
  return Date.parse(release.times.switchedAt!);
}

function since(at: number): string {
  return `${((Date.now() - at) / 1000).toFixed(1)} s`;
}

describe.concurrent(GROUP, () => {
  it('a revision that exits at start', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'the new revision exits with code 3 before it listens: its release is marked failed with the exit in its reason, and the old revision serves every request (0 failed, none served by the broken one)',
    );
    await keepsOld(record, { mode: 'exit' }, /exit/);
  });

  it('a revision that hangs at start (its event loop blocked, never listening)', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'the new revision never listens: after --ready-timeout (5s) it is stopped (its process gone) and marked failed; the old revision serves every request (0 failed)',
    );
    const { stack, broken } = await keepsOld(record, { mode: 'hang' }, /ready/);
    for (const { value } of startedBy(stack.paths.pidFile, broken).filter((entry) => entry.kind === 'app'))
      await waitFor(() => !alive(value), { timeout: 10_000, message: `the hung app ${value} stopped` });
  });

  it('a revision that listens but is never ready', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'the new revision answers /healthz with 503 forever: after --ready-timeout (5s) it is stopped and marked failed; no request reaches it; the old revision serves every request (0 failed)',
    );
    await keepsOld(record, { mode: 'never-ready' }, /ready/);
  });

  it('a revision that goes live, then crashes again and again', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'the new revision gets ready, goes live and exits 0.3 s after each start: restarts back off, requests are held while it restarts (no failed request before it is marked failed); after 5 crashes it is marked failed (crash-looping) and the previous revision is started again, live within 10 s; in that gap (documented: a crash-looping revision’s requests are no longer held) the proxy answers 502 "no release is live yet", and nothing else fails',
    );
    const { base, stack, load, push } = await servedApp(record);
    const crashing = await push('crashing', { mode: 'crash', crashAfterMs: 300 });
    record.fault();
    const failed = await releaseOf(stack, crashing, 'failed', 90_000);
    expect(failed.reason).toMatch(/crash-looping/);
    const back = await waitFor(
      async () =>
        (await stack.reloaderStatus()).releases.find(
          (r) => r.revision === base && r.outcome === 'live' && r.id > failed.id,
        ),
      { timeout: 30_000, message: 'the previous revision live again' },
    );
    await stack.serving(base);
    record.fault(startedBy(stack.paths.pidFile, crashing).filter((entry) => entry.kind === 'app').length - 1);
    const result = await load.stop();
    const failedAt = Date.parse(failed.times.endedAt!);
    const liveAgainAt = Date.parse(back.times.switchedAt!);
    const gap = liveAgainAt - failedAt;
    record.observe(
      `${failed.reason}; then release ${back.id}: ${back.reason}, live ${(gap / 1000).toFixed(1)} s later`,
    );
    record.observe(
      `answers by revision: ${[...result.revisions.entries()].map(([hash, n]) => `${hash.slice(0, 7)} ${n}`).join(', ')}; ${result.failed} requests answered 502 in the gap`,
    );
    expect(gap).toBeLessThan(10_000);
    // The clocks are one machine's; 0.5 s of margin for the proxy answering just before the ledger is written.
    for (const at of result.failedAt) {
      expect(at).toBeGreaterThanOrEqual(failedAt - 500);
      expect(at).toBeLessThanOrEqual(liveAgainAt + 500);
    }
    for (const error of result.errors) expect(error).toMatch(/^502 no release is live yet/);
  });

  it('the old revision ignores SIGTERM', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'a revision that ignores SIGTERM is replaced: the new one serves, the old one gets SIGKILL after --drain-timeout (1s) + --stop-timeout (2s) and is gone within 10 s of the switch; 0 failed requests',
    );
    const { base, stack, load, push } = await servedApp(record, { ignoreTerm: true });
    const next = await push('next');
    record.fault();
    const switchedAt = await switched(stack, next);
    const [old] = startedBy(stack.paths.pidFile, base).filter((entry) => entry.kind === 'app');
    await waitFor(() => !alive(old!.value), { timeout: 10_000, message: 'the old app killed' });
    record.observe(`the old app was gone ${since(switchedAt)} after the switch`);
    expect((await releaseOf(stack, base, 'retired')).revision).toBe(base);
    expect((await load.stop()).errors).toEqual([]);
  });

  it('the old revision leaves a background child, a setsid child and a double-forked daemon', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'when the revision that started them is replaced, its background `sleep` (same group), `setsid sleep` (own session) and double-forked `setsid sleep` (parent gone) are all gone within 10 s of the switch; 0 failed requests',
    );
    const { base, stack, load, push } = await servedApp(record, { children: true });
    const left = startedBy(stack.paths.pidFile, base).filter((entry) => entry.kind !== 'app');
    expect(left.map((entry) => entry.kind).sort()).toEqual(['background', 'double-fork', 'setsid']);
    expect(left.every((entry) => alive(entry.value))).toBe(true);
    const next = await push('next');
    record.fault(left.length);
    const switchedAt = await switched(stack, next);
    await waitFor(() => left.every((entry) => !alive(entry.value)), {
      timeout: 10_000,
      message: 'every process the old revision left is gone',
    });
    record.observe(`all 3 were gone ${since(switchedAt)} after the switch`);
    expect((await load.stop()).errors).toEqual([]);
  });

  it('the old revision leaks its listening socket to a setsid child', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'a revision leaves its listening socket open in a `setsid sleep` (its own session, never accepting): when the revision is replaced, that child is killed and the old private port stops accepting connections within 10 s of the switch; 0 failed requests',
    );
    const { base, stack, load, push } = await servedApp(record, { leakPort: true });
    const [holder] = startedBy(stack.paths.pidFile, base).filter((entry) => entry.kind === 'port-holder');
    const [port] = startedBy(stack.paths.pidFile, base).filter((entry) => entry.kind === 'port');
    expect(await listening(port!.value)).toBe(true);
    const next = await push('next');
    record.fault();
    const switchedAt = await switched(stack, next);
    await waitFor(async () => !alive(holder!.value) && !(await listening(port!.value)), {
      timeout: 10_000,
      message: 'the leaked port closed',
    });
    record.observe(`the port was closed ${since(switchedAt)} after the switch`);
    expect((await load.stop()).errors).toEqual([]);
  });
});
