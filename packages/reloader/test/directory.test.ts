import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createReloader, type Release, type Reloader } from '../src/index.js';
import { removeDir, tempDir, waitFor } from './helpers.js';

let root: string | undefined;
let reloader: Reloader | undefined;

afterEach(async () => {
  await reloader?.stop();
  reloader = undefined;
  await removeDir(root);
  root = undefined;
});

/** A worker (restart mode) watching a plain directory; every start prints a line. */
async function setUp(build?: string) {
  root = await tempDir();
  const dir = join(root, 'src');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, 'node_modules'), { recursive: true });
  await writeFile(join(dir, 'index.js'), '0');
  const switches: Release[] = [];
  const output: string[] = [];
  reloader = createReloader({
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
  return { dir, reloader, switches, output };
}

describe('directory mode', () => {
  it('restarts once for a burst of changes (trailing debounce), and again for a later change', async () => {
    const { dir, reloader, switches } = await setUp();
    expect(reloader.status().mode).toBe('directory');
    expect(switches).toHaveLength(1);
    await Promise.all(Array.from({ length: 100 }, (_, i) => writeFile(join(dir, `file${i}.js`), String(i))));
    await waitFor(() => switches.length >= 2, { message: 'a restart after the burst' });
    // The sentinel change: a second restart for the burst would show up before this one.
    await writeFile(join(dir, 'later.js'), 'later');
    await waitFor(() => switches.length >= 3, { message: 'a restart after the later change' });
    await writeFile(join(dir, 'last.js'), 'last');
    await waitFor(() => switches.length >= 4, { message: 'a restart after the last change' });
    expect(switches.map((release) => release.id)).toEqual([1, 2, 3, 4]);
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
