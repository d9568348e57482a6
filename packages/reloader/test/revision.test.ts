import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, waitFor } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { createReloader, type Release, type ReloaderOptions } from '../src/index.js';
import { ReloaderHarness } from './harness.js';
import { get, hash, Layout } from './helpers.js';

const harness = new ReloaderHarness({ drainTimeout: 2000 });
afterEach(() => harness.cleanUp());
const setUp = (extra: Partial<ReloaderOptions> = {}) => harness.setUp(extra);

const revisions = (list: Release[]) => list.map((release) => release.revision);

describe('revision mode', () => {
  it('replaces exactly once for a link change that brings 2000 changed files', async () => {
    const { layout, reloader, switches, liveOn } = await setUp();
    await layout.add(hash('small'));
    await layout.flip(hash('small'));
    await reloader.start();

    const files: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) files[`src/dir${i % 40}/file${i}.js`] = `export default ${i};\n`;
    await layout.add(hash('big'), {}, files);
    await layout.flip(hash('big'));
    await liveOn(hash('big'));
    // A sentinel flip: had the big change caused a second replacement, it would show before this one.
    await layout.add(hash('sentinel'));
    await layout.flip(hash('sentinel'));
    await liveOn(hash('sentinel'));
    expect(revisions(switches)).toEqual([hash('small'), hash('big'), hash('sentinel')]);
  });

  it('replaces once, to the newest, when the link flips twice quickly', async () => {
    const { layout, reloader, switches, liveOn } = await setUp({ readyPath: '/healthz' });
    await layout.add(hash('one'));
    await layout.flip(hash('one'));
    await reloader.start();

    // The middle revision needs a second to get ready, so it is still starting when the next flip lands.
    await layout.add(hash('two'), { delayMs: 1000 });
    await layout.add(hash('three'));
    await layout.flip(hash('two'));
    await layout.flip(hash('three'));
    await liveOn(hash('three'));
    await layout.add(hash('four'));
    await layout.flip(hash('four'));
    await liveOn(hash('four'));
    expect(revisions(switches)).toEqual([hash('one'), hash('three'), hash('four')]);
  });

  it('gives up a revision still starting when a newer one is published, and records it superseded', async () => {
    const { layout, reloader, releases, switches, liveOn } = await setUp({ readyPath: '/healthz' });
    await layout.add(hash('base'));
    await layout.flip(hash('base'));
    await reloader.start();
    await layout.add(hash('slow'), { delayMs: 60_000 });
    await layout.flip(hash('slow'));
    await waitFor(() => reloader.status().releases[0]?.revision === hash('slow'), {
      message: 'slow starting',
    });
    await layout.add(hash('quick'));
    await layout.flip(hash('quick'));
    await liveOn(hash('quick'));
    const slow = releases.find((release) => release.revision === hash('slow'));
    expect(slow?.outcome).toBe('superseded');
    expect(revisions(switches)).toEqual([hash('base'), hash('quick')]);
  });

  it('runs in the resolved release dir with GITPAAS_REVISION after waiting for the link, behind X-Forwarded-For', async () => {
    const { layout, port, reloader, liveOn } = await setUp();
    const started = reloader.start();
    await layout.add(hash('late'));
    await layout.flip(hash('late'));
    await started;
    await liveOn(hash('late'));
    const answer = JSON.parse((await get(port)).body) as {
      revision: string;
      cwd: string;
      releaseDir: string;
      forwardedFor: string;
    };
    expect(answer.forwardedFor).toBe('127.0.0.1');
    expect(answer.revision).toBe(hash('late'));
    expect(answer.cwd).toBe(layout.dir(hash('late')));
    expect(answer.releaseDir).toBe(layout.dir(hash('late')));
  });

  it('detects link changes by polling when asked to (volumes without inotify)', async () => {
    const { layout, reloader, switches, liveOn } = await setUp({ poll: 100 });
    await layout.add(hash('p1'));
    await layout.flip(hash('p1'));
    await reloader.start();
    await layout.add(hash('p2'));
    await layout.flip(hash('p2'));
    await liveOn(hash('p2'));
    expect(revisions(switches)).toEqual([hash('p1'), hash('p2')]);
  });

  it('fails with E_WATCH_MISSING when the link does not appear within the wait timeout', async () => {
    const { reloader } = await setUp({ waitTimeout: 300 });
    await expect(reloader.start()).rejects.toMatchObject({
      code: 'E_WATCH_MISSING',
      message: expect.stringMatching(/--watch .*: still missing after --wait-timeout 300ms/),
    });
  });

  it('restart mode (no --port) stops the old process before starting the new one', async () => {
    const root = await makeTempDir('reloader-test-');
    const layout = new Layout(root);
    const log = join(root, 'order.log');
    const script = join(root, 'worker.sh');
    await writeFile(
      script,
      `trap 'echo "stop $GITPAAS_REVISION" >> ${log}; exit 0' TERM; echo "start $GITPAAS_REVISION" >> ${log}; while true; do sleep 0.1; done\n`,
    );
    await mkdir(layout.dir(hash('w1')), { recursive: true });
    await mkdir(layout.dir(hash('w2')), { recursive: true });
    await layout.flip(hash('w1'));
    const switches: Release[] = [];
    const reloader = createReloader({ command: ['sh', script], watch: layout.link, stopTimeout: 5000 });
    harness.reloader = reloader;
    reloader.on('switch', (release) => switches.push({ ...release }));
    await reloader.start();
    // The first worker has set up its trap before it is asked to stop.
    await waitFor(async () => (await readFile(log, 'utf8').catch(() => '')).includes(`start ${hash('w1')}`));
    await layout.flip(hash('w2'));
    await waitFor(() => switches.length === 2, { message: 'the second worker' });
    await waitFor(async () => (await readFile(log, 'utf8')).includes(`start ${hash('w2')}`));
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual([
      `start ${hash('w1')}`,
      `stop ${hash('w1')}`,
      `start ${hash('w2')}`,
    ]);
  });
});
