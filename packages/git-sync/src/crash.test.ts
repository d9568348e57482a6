import { existsSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  git,
  makeTempDir,
  removeTempDirs,
  runBin,
  spawnBin,
  TestRemote,
  waitFor,
} from '../test/helpers/index.js';

const ITERATIONS = 32;
const FILES = 40;

// The kill points are random; the seed is printed, and GITPAAS_CRASH_SEED=<seed> replays a run.
const SEED = Number(process.env.GITPAAS_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: a small seeded generator, so a failing sequence of kill points can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Every file of revision i says `rev i`, so a partial or mixed tree is visible. */
const filesFor = (i: number) => {
  const files: Record<string, string> = { 'manifest.txt': String(i) };
  for (let f = 0; f < FILES; f++) files[`dir${f % 4}/file${f}.txt`] = `rev ${i}\n`;
  return files;
};

/**
 * The link, if present, points at a complete worktree whose every file belongs to one revision.
 * Once something was published the link never disappears (`publishedBefore`).
 */
async function assertPublishedTreeIsWhole(
  root: string,
  link: string,
  hashes: string[],
  publishedBefore: number,
): Promise<string | null> {
  if (!existsSync(link)) {
    expect(publishedBefore, `the link disappeared after a publish (seed ${SEED})`).toBe(0);
    return null;
  }
  const target = await readlink(link);
  expect(target.startsWith('/')).toBe(false);
  const hash = basename(target);
  expect(resolve(dirname(link), target)).toBe(join(root, '.worktrees', hash));
  const revision = hashes.indexOf(hash) + 1;
  expect(revision).toBeGreaterThan(0);
  expect(await readFile(join(link, 'manifest.txt'), 'utf8')).toBe(String(revision));
  for (let f = 0; f < FILES; f++) {
    expect(await readFile(join(link, `dir${f % 4}`, `file${f}.txt`), 'utf8')).toBe(`rev ${revision}\n`);
  }
  expect(await git(link, 'rev-parse', 'HEAD')).toBe(hash);
  return hash;
}

describe('crash safety', () => {
  it(`survives SIGKILL of the whole process group at random moments (${ITERATIONS} kills) and recovers on restart`, async () => {
    console.info(`crash safety: seed ${SEED} (replay with GITPAAS_CRASH_SEED=${SEED})`);
    const random = seededRandom(SEED);
    const dir = await makeTempDir();
    try {
      const remote = await TestRemote.create(dir);
      const hashes = await remote.prepareCommits(ITERATIONS + 1, filesFor);
      const root = join(dir, 'root');
      const link = join(root, 'app');
      const args = [
        '--repo',
        remote.url,
        '--root',
        root,
        '--link',
        'app',
        '--period',
        '10ms',
        '--max-failures',
        '-1',
        '-v',
        '1',
      ];
      let published = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        await remote.setBranch(hashes[i]!);
        // Each run starts in its own process group, as a container's processes do.
        const bin = spawnBin(args, { detached: true });
        // Kill after a random number of git commands: lands anywhere in fetch, checkout, publish or cleanup.
        const commands = 1 + Math.floor(random() * 16);
        await waitFor(
          () =>
            (bin.output().match(/"msg":"running git"/g) ?? []).length >= commands ||
            bin.child.exitCode !== null,
          {
            timeout: 30_000,
            interval: 1,
            message: `${commands} git commands`,
          },
        );
        process.kill(-bin.child.pid!, 'SIGKILL');
        await bin.child;
        if (await assertPublishedTreeIsWhole(root, link, hashes, published)) published++;
      }
      expect(published, `seed ${SEED}`).toBeGreaterThan(0);

      // The next start recovers without manual steps and converges on the tip.
      await remote.setBranch(hashes[ITERATIONS]!);
      const result = await runBin([...args.filter((a) => a !== '-v' && a !== '1'), '--one-time']);
      expect(result.exitCode, `seed ${SEED}`).toBe(0);
      expect(await assertPublishedTreeIsWhole(root, link, hashes, published)).toBe(hashes[ITERATIONS]);
      expect(await readdir(join(root, '.worktrees'))).toEqual([hashes[ITERATIONS]]);
      expect((await readdir(root)).filter((entry) => entry.includes('gitsync-tmp'))).toEqual([]);
      // git's records of trees killed half-way are gone too (root and the published tree remain).
      const records = (await git(root, 'worktree', 'list', '--porcelain')).match(/^worktree .*/gm) ?? [];
      // Retired trees waiting to be recycled are records too; each must be a usable worktree.
      const pooled = records.filter((record) => record.includes('/gitpaas-recycle/'));
      for (const record of pooled)
        await git(resolve(root, record.slice('worktree '.length)), 'rev-parse', 'HEAD');
      expect(records.length - pooled.length, 'stale git worktree records after recovery').toBe(2);
      // git() rejects when fsck finds a broken or missing object; dangling ones are expected garbage.
      await expect(git(root, 'fsck', '--connectivity-only', '--no-progress', '--no-dangling')).resolves.toBe(
        '',
      );
    } finally {
      await removeTempDirs();
    }
  }, 240_000);
});
