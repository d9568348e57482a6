import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readdir, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, waitFor } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutputEvent, Release } from '../src/index.js';
import { ReloaderHarness } from './harness.js';
import { get, hash } from './helpers.js';

const harness = new ReloaderHarness({ drainTimeout: 1000 });
afterEach(() => harness.cleanUp());

/** An app that answers which of its dependencies it can load; detected: node server.js (its start script), npm install. */
const SERVER_JS = `const http = require('node:http');
const has = (name) => { try { return require(name).name; } catch { return null; } };
http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ revision: process.env.GITPAAS_REVISION, alpha: has('alpha'), beta: has('beta') }));
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

/** A dependency as a local tarball, so npm installs it with no registry. */
async function tarball(dir: string, name: string): Promise<string> {
  const src = join(dir, 'src', name, 'package');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js' }));
  await writeFile(join(src, 'index.js'), `module.exports = { name: '${name}' };\n`);
  const file = join(dir, `${name}-1.0.0.tgz`);
  execFileSync('tar', ['-czf', file, '-C', join(dir, 'src', name), 'package']);
  return file;
}

function files(deps: Record<string, string>, note: string): Record<string, string> {
  return {
    'package.json': JSON.stringify({
      name: 'cached',
      scripts: { start: 'node server.js' },
      dependencies: deps,
    }),
    'server.js': `${SERVER_JS}// ${note}\n`,
  };
}

describe('dependency cache (revision mode, detected install)', () => {
  it('installs on a manifest change, reuses the installed tree on a code-only change, and drops a removed dependency', async () => {
    const vendor = await makeTempDir('reloader-deps-');
    const alpha = await tarball(vendor, 'alpha');
    const beta = await tarball(vendor, 'beta');
    const state = await makeTempDir('reloader-state-');
    const { layout, reloader, port, liveOn, releases } = await setUpDetected(state);
    const installs: string[] = [];
    reloader.on('output', (event: OutputEvent) => {
      if (event.phase === 'build') installs.push(event.line);
    });
    const both = { alpha: `file:${alpha}`, beta: `file:${beta}` };

    await layout.add(hash('one'), {}, files(both, 'one'));
    await layout.flip(hash('one'));
    await reloader.start();
    await liveOn(hash('one'));
    expect(JSON.parse((await get(port)).body)).toMatchObject({ alpha: 'alpha', beta: 'beta' });
    const first = latest(releases, hash('one'));
    expect(first.setup).toMatchObject({ cache: 'miss', install: expect.stringMatching(/^npm install/) });
    expect(first.setup?.plan).toMatch(/start `node server.js` \(package.json scripts.start, without npm\)/);
    const link = join(layout.dir(hash('one')), 'node_modules');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toContain(join(state, 'cache', 'deps', first.setup!.cacheKey!));

    // Code-only: the same tree, linked, and no install at all.
    const outputBefore = installs.length;
    await layout.add(hash('two'), {}, files(both, 'two'));
    await layout.flip(hash('two'));
    await liveOn(hash('two'));
    const second = latest(releases, hash('two'));
    expect(second.setup).toMatchObject({ cache: 'hit', cacheKey: first.setup!.cacheKey });
    expect(installs.length).toBe(outputBefore);
    expect(await readlink(join(layout.dir(hash('two')), 'node_modules'))).toBe(await readlink(link));

    // beta removed: a new key, a fresh install, and beta is gone from the new release only.
    await layout.add(hash('three'), {}, files({ alpha: both.alpha }, 'three'));
    await layout.flip(hash('three'));
    await liveOn(hash('three'));
    expect(latest(releases, hash('three')).setup).toMatchObject({ cache: 'miss' });
    expect(JSON.parse((await get(port)).body)).toMatchObject({
      revision: hash('three'),
      alpha: 'alpha',
      beta: null,
    });
    expect(await readdir(join(layout.dir(hash('two')), 'node_modules'))).toContain('beta');
  });

  it('keeps at most --build-cache trees, never the one the live release uses', async () => {
    const vendor = await makeTempDir('reloader-deps-');
    const state = await makeTempDir('reloader-state-');
    const { layout, reloader, liveOn, releases } = await setUpDetected(state, { buildCache: 1 });
    const names = ['a', 'b', 'c'];
    const deps = await Promise.all(names.map((name) => tarball(vendor, `dep-${name}`)));
    for (const [i, name] of names.entries()) {
      await layout.add(hash(name), {}, files({ [`dep-${name}`]: `file:${deps[i]}` }, name));
      await layout.flip(hash(name));
      if (i === 0) await reloader.start();
      await liveOn(hash(name));
    }
    // Pruned once the releases before it have drained and stopped.
    const live = latest(releases, hash('c')).setup?.cacheKey;
    const kept = async () =>
      (await readdir(join(state, 'cache', 'deps'))).filter((name) => !name.startsWith('.'));
    await waitFor(async () => (await kept()).length === 1, { message: 'one tree kept' });
    expect(await kept()).toEqual([live]);
  });
});

async function setUpDetected(state: string, extra = {}) {
  // No command, no --build: both detected from package.json.
  return harness.setUp({ command: [], stateDir: state, readyTimeout: 60_000, ...extra });
}

function latest(releases: Release[], revision: string): Release {
  const found = releases.filter((release) => release.revision === revision).at(-1);
  if (!found) throw new Error(`no release of ${revision.slice(0, 7)}`);
  return found;
}
