import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { descendantsOf, waitFor } from '@gitpaas/core';
import { startGitDaemon, TestRemote } from '@gitpaas/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { stopAllBins } from '../src/bins.js';
import { faultCase } from '../src/fault-case.js';
import { getText, metric, postSync } from '../src/http.js';
import { prepareRevisions, publishedRevision, revisionFiles } from '../src/revisions.js';
import { Up } from '../src/up.js';

const GROUP = 'A burst of pushes';
const PUSHES = 100;
const SECRET = 'burst-trigger-secret';

afterAll(stopAllBins);

describe(GROUP, () => {
  it(`${PUSHES} pushes in a burst, each followed by its signed webhook, to gitpaas up`, async (context) => {
    const record = faultCase(
      context,
      GROUP,
      `${PUSHES} pushes one after the other (each the branch moved as receive-pack does, prepared beforehand), each followed at once by a signed POST /sync (not awaited, as a forge sends them): every webhook is answered 202; syncs coalesce (fewer fetches than pushes, at most 50); the reloader skips what is superseded (fewer releases than pushes, none failed); the last push is served within 20 s of it; 0 failed requests; afterwards gitpaas up runs only the live app (no git or app process left over)`,
    );
    const dir = await record.tempDir('burst');
    const remote = await TestRemote.create(dir);
    const base = await remote.commit(revisionFiles('base'));
    const hashes = await prepareRevisions(remote, PUSHES, 'burst');
    const daemon = await startGitDaemon(dir);
    record.defer(() => daemon.stop());
    const secretFile = join(dir, 'trigger-secret');
    await writeFile(secretFile, `${SECRET}\n`);
    const up = await Up.start(record, dir, ['--repo', `${daemon.url}/repo.git`], {
      args: ['--period', '1h', '--trigger-secret-file', secretFile],
    });
    await up.serving(base);
    const load = record.load(up.port);
    const metricsBefore = (await getText(`${up.url}/metrics`)).text;

    const webhooks: Array<Promise<number>> = [];
    const startedAt = Date.now();
    for (const hash of hashes) {
      // What a push does to the remote (receive-pack's ref update), without its transfer: a sharp burst.
      await remote.setBranch(hash);
      webhooks.push(postSync(`${up.url}/sync`, { secret: SECRET }).then((answer) => answer.status));
    }
    const pushedAt = Date.now();
    record.fault(PUSHES);
    record.observe(`${PUSHES} pushes took ${((pushedAt - startedAt) / 1000).toFixed(1)} s`);
    const statuses = await Promise.all(webhooks);
    record.requests({ sent: statuses.length, failed: statuses.filter((status) => status !== 202).length });
    expect(statuses.filter((status) => status !== 202)).toEqual([]);

    const tip = hashes.at(-1)!;
    await up.serving(tip, 20_000);
    record.observe(`the last push was served ${((Date.now() - pushedAt) / 1000).toFixed(1)} s after it`);
    expect((await publishedRevision(up.paths.root, up.paths.link))?.hash).toBe(tip);

    const metrics = (await getText(`${up.url}/metrics`)).text;
    const fetches = metric(metrics, 'git_fetch_count_total') - metric(metricsBefore, 'git_fetch_count_total');
    const syncs = metric(metrics, 'git_sync_count_total') - metric(metricsBefore, 'git_sync_count_total');
    expect(fetches).toBeGreaterThan(0);
    expect(fetches).toBeLessThanOrEqual(50);
    const { reloader } = await up.status();
    const releases = reloader.releases.filter((release) => release.revision !== base);
    expect(releases.length).toBeLessThan(PUSHES);
    expect(releases.filter((release) => release.outcome === 'failed')).toEqual([]);
    record.observe(
      `${syncs} syncs and ${fetches} fetches for ${PUSHES} pushes; ${releases.length} releases (${releases.filter((release) => release.outcome === 'superseded').length} superseded before going live)`,
    );

    // Once it settles, the only processes under gitpaas up are the live app's.
    await waitFor(
      async () => {
        const { pid } = (await up.status()).reloader;
        const left = descendantsOf(up.bin.pid).filter((info) => info.state !== 'Z');
        return left.length === 1 && left[0]!.pid === pid;
      },
      { timeout: 20_000, message: 'only the live app left under gitpaas up' },
    );
    expect((await load.stop()).errors).toEqual([]);
  });
});
