import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from '@gitpaas/core';
import { makeTempDir, removeTempDirs, waitFor } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { DirWatcher, ignoreMatcher } from './dir-watch.js';

describe('ignore globs', () => {
  const ignored = ignoreMatcher('/app', ['.git', 'node_modules', '*.log', 'build/**', 'docs/*.md']);

  it.each([
    '/app/.git',
    '/app/.git/objects/ab/cdef',
    '/app/node_modules/x/index.js',
    '/app/packages/a/node_modules/y.js',
    '/app/debug.log',
    '/app/src/trace.log',
    '/app/build/out.js',
    '/app/docs/README.md',
  ])('ignores %s', (path) => expect(ignored(path)).toBe(true));

  it.each(['/app', '/app/src/index.js', '/app/gitignore', '/app/docs/deep/x.md', '/app/src/build.js'])(
    'watches %s',
    (path) => expect(ignored(path)).toBe(false),
  );
});

describe('DirWatcher', () => {
  let watcher: DirWatcher | undefined;
  afterEach(async () => {
    await watcher?.stop();
    watcher = undefined;
    await removeTempDirs();
  });

  it('fires within --max-wait while changes keep coming', async () => {
    const dir = await makeTempDir('reloader-dirwatch-');
    await mkdir(join(dir, 'node_modules'));
    const fired: number[] = [];
    // The debounce alone would never fire while writes keep coming every 50 ms.
    watcher = new DirWatcher(dir, ['node_modules'], 60_000, 300, (files) => fired.push(files));
    await watcher.start();
    const started = performance.now();
    const deadline = Date.now() + 20_000;
    for (let i = 0; fired.length === 0 && Date.now() < deadline; i++) {
      await writeFile(join(dir, `busy${i % 3}.js`), String(i));
      await sleep(50);
    }
    const firedMs = performance.now() - started;
    expect(fired.length).toBe(1);
    expect(fired[0]).toBeGreaterThan(0);
    // Not before --max-wait (the debounce never ran out), and not long after.
    expect(firedMs).toBeGreaterThanOrEqual(300);
    expect(firedMs).toBeLessThan(300 + 10_000);
  });

  it('does not count changes under ignored paths', async () => {
    const dir = await makeTempDir('reloader-dirwatch-');
    await mkdir(join(dir, 'node_modules', 'pkg'), { recursive: true });
    await mkdir(join(dir, '.git'));
    const fired: number[] = [];
    watcher = new DirWatcher(dir, ['.git', 'node_modules'], 300, 5000, (files) => fired.push(files));
    await watcher.start();
    for (let i = 0; i < 20; i++) {
      await writeFile(join(dir, 'node_modules', 'pkg', `f${i}.js`), String(i));
      await writeFile(join(dir, '.git', `obj${i}`), String(i));
    }
    await writeFile(join(dir, 'real.js'), 'real');
    await waitFor(() => fired.length > 0, { timeout: 20_000, message: 'the change of real.js' });
    // Only the one real file's event(s): the 40 ignored writes were never seen.
    expect(fired[0]).toBeGreaterThan(0);
    expect(fired[0]).toBeLessThanOrEqual(2);
  });
});
