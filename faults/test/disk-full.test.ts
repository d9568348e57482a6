import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '@gitpaas/core';
import { git, startGitDaemon, TestRemote } from '@gitpaas/test-utils';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { stopAllBins } from '../src/bins.js';
import { faultCase } from '../src/fault-case.js';
import { revisionFiles } from '../src/revisions.js';
import { TwoBins } from '../src/stack.js';

const GROUP = 'The disk under --root fills up';
const BIG = 6 * 1024 * 1024;

afterAll(stopAllBins);

/** Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN, as in CI). */
async function canMount(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  const dir = await mkdtemp(join(tmpdir(), 'gitpaas-faults-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    await rmdir(dir);
  }
}

const mountable = await canMount();

describe(GROUP, () => {
  it.skipIf(!mountable)(
    `a 4 MiB tmpfs as --root and a push too big for it${mountable ? '' : ' (skipped: mounting a tmpfs needs root)'}`,
    async (context) => {
      const record = faultCase(
        context,
        GROUP,
        'a 6 MiB push to a 4 MiB --root: every sync fails with E_DISK_FULL ("--root is full" in /status and the error file, kept outside root), the last good revision stays published and served; a smaller push after it is live within 15 s; once the tmpfs grows to 64 MiB the big push goes live within 15 s; 0 failed requests throughout',
      );
      const dir = await record.tempDir('disk');
      const remote = await TestRemote.create(dir);
      const base = await remote.commit(revisionFiles('base'));
      await writeFile(join(remote.work, 'big.bin'), randomBytes(BIG));
      await git(remote.work, 'add', 'big.bin');
      await git(remote.work, 'commit', '-q', '-m', 'big');
      const big = await git(remote.work, 'rev-parse', 'HEAD');
      const root = join(dir, 'root');
      await mkdir(root);
      await execa('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', root]);
      record.defer(() => execa('umount', ['-l', root]));
      const daemon = await startGitDaemon(dir);
      record.defer(() => daemon.stop());
      const stack = await TwoBins.start(record, dir, `${daemon.url}/repo.git`);
      await stack.serving(base);
      const load = record.load(stack.port);

      await git(remote.work, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
      record.fault();
      const until = Date.now() + 8000;
      while (Date.now() < until) {
        expect((await stack.syncStatus()).publishedHash).toBe(base);
        await sleep(250);
      }
      const status = await stack.syncStatus();
      expect(status.lastError).toMatchObject({
        code: 'E_DISK_FULL',
        message: expect.stringMatching(/--root is full/),
      });
      expect(status.consecutiveFailures).toBeGreaterThan(0);
      expect(await readFile(stack.paths.errorFile, 'utf8')).toMatch(/--root is full/);
      record.observe(
        `${status.consecutiveFailures} syncs failed in 8 s; the error said: ${status.lastError?.message}`,
      );

      const small = await remote.commit({ 'big.bin': null, ...revisionFiles('small') });
      let at = Date.now();
      await stack.serving(small, 15_000);
      record.observe(
        `the smaller push was live ${((Date.now() - at) / 1000).toFixed(1)} s after it was pushed`,
      );

      await execa('mount', ['-o', 'remount,size=64m', root]);
      at = Date.now();
      await remote.setBranch(big);
      await stack.serving(big, 15_000);
      record.observe(`the big push was live ${((Date.now() - at) / 1000).toFixed(1)} s after the disk grew`);
      expect((await stack.syncStatus()).consecutiveFailures).toBe(0);
      expect((await load.stop()).errors).toEqual([]);
    },
  );
});
