import { readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanUpSyncs,
  freePort,
  hangSwitch,
  spawnBin,
  startGitDaemon,
  stopAfterTest,
  syncFixture,
  waitFor,
} from '../test/helpers/index.js';

afterEach(cleanUpSyncs);

const ROUNDS = 5;

/** `gitpaas_git_sync_errors_total{code=…}` from a /metrics text, by code. */
function errorsByCode(metrics: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of metrics.matchAll(/^gitpaas_git_sync_errors_total\{code="(\w+)"\} (\d+)/gm)) {
    counts.set(match[1]!, Number(match[2]));
  }
  return counts;
}

describe('--sync-timeout under garbage collection (nodejs/node#57736)', () => {
  it(`fires on every fetch that stalls (${ROUNDS} rounds) with a forced GC every 250 ms, and publishes once the remote answers`, async () => {
    const { dir, remote, root } = await syncFixture();
    const hang = await hangSwitch(dir);
    stopAfterTest(hang.cleanup);
    const daemon = await startGitDaemon(dir, { env: hang.serverEnv });
    stopAfterTest(daemon.stop);
    const preload = join(dir, 'gc-often.mjs');
    await writeFile(preload, 'setInterval(() => globalThis.gc(), 250).unref();\n');
    const port = await freePort();
    const bin = spawnBin(
      [
        '--repo',
        `${daemon.url}/repo.git`,
        '--root',
        root,
        '--link',
        'app',
        '--period',
        '100ms',
        '--sync-timeout',
        '1s',
        '--max-failures',
        '-1',
        '--http-bind',
        `127.0.0.1:${port}`,
        '--http-metrics',
      ],
      { nodeArgs: ['--expose-gc', '--import', pathToFileURL(preload).href] },
    );
    stopAfterTest(bin.stop);
    const link = join(root, 'app');
    const first = await remote.hash();
    await waitFor(async () => (await readlink(link).catch(() => '')).endsWith(first), {
      message: 'the first publish',
    });

    await hang.engage();
    const next = await remote.commit({ 'v.txt': 'after the stall' });
    const metrics = async () => errorsByCode(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    // A timeout that never fires wedges the loop on a fetch that hangs for 600 s: the count stops.
    await waitFor(async () => ((await metrics()).get('E_TIMEOUT') ?? 0) >= ROUNDS, {
      timeout: 90_000,
      interval: 200,
      message: `${ROUNDS} syncs ended by --sync-timeout`,
    });
    const failures = bin.logs().filter((line) => line.msg === 'sync failed, will retry');
    expect(failures.length).toBeGreaterThanOrEqual(ROUNDS);
    expect(new Set(failures.map((line) => line.code))).toEqual(new Set(['E_TIMEOUT']));
    expect(await readlink(link)).toBe(`.worktrees/${first}`);

    await hang.release();
    await waitFor(async () => (await readlink(link)).endsWith(next), {
      timeout: 30_000,
      message: 'the loop to publish once the remote answers',
    });
    expect(bin.child.exitCode).toBeNull();
  }, 150_000);
});
