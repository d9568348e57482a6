import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeTempDirs, waitFor } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { createReloader, type Release, type Reloader } from '../src/index.js';

let reloader: Reloader | undefined;

afterEach(async () => {
  await reloader?.stop();
  reloader = undefined;
  await removeTempDirs();
});

/** A worker (restart mode) watching a plain directory; every start prints a line. */
async function setUp(build?: string) {
  const dir = join(await makeTempDir('reloader-test-'), 'src');
  await mkdir(join(dir, 'node_modules'), { recursive: true });
  await writeFile(join(dir, 'index.js'), '0');
  const switches: Release[] = [];
  const output: string[] = [];
  /** Every batch of changes the watcher reported (one replacement each), as its event count. */
  const batches: number[] = [];
  const quiet = () => {};
  reloader = createReloader({
    logger: {
      debug: quiet,
      info: (msg, fields) => {
        if (msg === 'files changed') batches.push((fields as { files: number }).files);
      },
      warn: quiet,
      error: quiet,
    },
    command: ['sh', '-c', 'echo started; while true; do sleep 0.1; done'],
    watch: dir,
    // Wider than the default, so the burst below fits in one window on a loaded machine.
    debounce: 500,
    maxWait: 5000,
    stopTimeout: 5000,
    ...(build ? { build } : {}),
  });
  reloader.on('switch', (release) => switches.push({ ...release }));
  reloader.on('output', (event) => output.push(event.line));
  await reloader.start();
  return { dir, reloader, switches, output, batches };
}

describe('directory mode', () => {
  it('restarts once for a burst of changes (trailing debounce), and again for a later change', async () => {
    const { dir, reloader, switches, batches } = await setUp();
    expect(reloader.status().mode).toBe('directory');
    expect(switches).toHaveLength(1);
    await Promise.all(Array.from({ length: 100 }, (_, i) => writeFile(join(dir, `file${i}.js`), String(i))));
    await waitFor(() => switches.length >= 2, { message: 'a restart after the burst' });
    // The sentinel change: had the burst been split, its second part would show up as a batch
    // before this one's, or merged into it.
    await writeFile(join(dir, 'later.js'), 'later');
    await waitFor(() => switches.length >= 3, { message: 'a restart after the later change' });
    expect(batches).toHaveLength(2);
    // All 100 new files in the first batch (chokidar may report a file more than once), the
    // sentinel's event(s) alone in the second.
    expect(batches[0]).toBeGreaterThanOrEqual(100);
    expect(batches[1]).toBeLessThanOrEqual(2);
    expect(switches.map((release) => release.id)).toEqual([1, 2, 3]);
  });

  it('never loses a change made while a restart is in progress', async () => {
    const { dir, switches, output } = await setUp('echo building; sleep 1');
    await writeFile(join(dir, 'a.js'), 'a');
    // Release 2 is building (one second) when the next change lands.
    await waitFor(() => output.filter((line) => line === 'building').length >= 2, {
      message: 'the second build',
    });
    await writeFile(join(dir, 'b.js'), 'b');
    await waitFor(() => switches.length >= 3, { message: 'a restart for the change made during the build' });
    expect(switches.map((release) => release.id)).toEqual([1, 2, 3]);
  });
});
