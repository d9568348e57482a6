import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bindMount,
  canMount,
  cleanUpSyncs,
  makeSync,
  makeTempDir,
  memoryLogger,
  mountTmpfs,
  runBin,
  started,
  stopAllSyncs,
  syncFixture,
  unmountAll,
} from '../test/helpers/index.js';
import { resolveOptions } from './config.js';
import { rootProblem } from './root-safety.js';

afterEach(async () => {
  await stopAllSyncs();
  await unmountAll();
  await cleanUpSyncs();
});

describe('--root that would lose data is refused before anything runs', () => {
  it('refuses the filesystem root and top-level system directories, also through a symlink', async () => {
    const dir = await makeTempDir();
    const context = { cwd: dir, home: join(dir, 'home') };
    for (const root of [
      '/',
      '/etc',
      '/tmp',
      '/usr',
      '/var',
      '/home',
      '/root',
      '/opt',
      '/srv',
      '/lib64',
      '/etc/',
    ]) {
      expect(rootProblem(root, context), root).toMatch(/root of the filesystem|system directory/);
    }
    await symlink('/etc', join(dir, 'looks-harmless'));
    expect(rootProblem(join(dir, 'looks-harmless'), context)).toMatch(/system directory \/etc/);
    for (const root of ['/git', '/tmp/git', '/var/lib/git-sync', '/srv/app/git', join(dir, 'root')]) {
      expect(rootProblem(root, context), root).toBeNull();
    }
    // The library refuses as the bin does (a usage error naming --root).
    expect(() => resolveOptions({ repo: 'file:///r', root: '/' })).toThrow(
      expect.objectContaining({
        code: 'E_BAD_FLAG',
        exitCode: 2,
        message: expect.stringMatching(/^--root \/ /),
      }),
    );
  });

  it("refuses the user's home, a parent of it, and a parent of the working directory, but not the working directory itself", async () => {
    const dir = await makeTempDir();
    const home = join(dir, 'users', 'me');
    const cwd = join(dir, 'work', 'project');
    await mkdir(home, { recursive: true });
    await mkdir(cwd, { recursive: true });
    const context = { cwd, home };
    expect(rootProblem(home, context)).toMatch(/your home directory/);
    expect(rootProblem(join(dir, 'users'), context)).toMatch(/contains your home directory/);
    expect(rootProblem(join(dir, 'work'), context)).toMatch(/contains the working directory/);
    expect(rootProblem(dir, context)).toMatch(/contains/);
    // A container's WORKDIR is often the volume git-sync owns (the image sets WORKDIR /git).
    expect(rootProblem(cwd, context)).toBeNull();
    expect(rootProblem(join(cwd, 'git'), context)).toBeNull();
  });

  it('exits 2 with one line naming --root, and removes nothing, for a root holding the working directory or home', async () => {
    const dir = await makeTempDir();
    const cwd = join(dir, 'project', 'src');
    const home = join(dir, 'home');
    await mkdir(cwd, { recursive: true });
    await mkdir(home, { recursive: true });
    await writeFile(join(dir, 'project', 'precious.txt'), 'keep me');
    await writeFile(join(home, 'notes.txt'), 'keep me too');
    for (const [root, problem] of [
      [join(dir, 'project'), /contains the working directory/],
      [home, /is your home directory/],
    ] as const) {
      const result = await runBin(['--repo', 'file:///nowhere', '--root', root, '--max-failures', '-1'], {
        cwd,
        env: { HOME: home },
        timeout: 20_000,
      });
      expect(result.exitCode).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(new RegExp(`^git-sync: --root ${root} `));
      expect(result.stderr).toMatch(problem);
    }
    expect(await readFile(join(dir, 'project', 'precious.txt'), 'utf8')).toBe('keep me');
    expect(await readFile(join(home, 'notes.txt'), 'utf8')).toBe('keep me too');
  });
});

describe('clearing an ordinary root', () => {
  it('clears unknown files in an ordinary root, logging how many and the first names before removing them', async () => {
    const { remote, root } = await syncFixture();
    await mkdir(join(root, 'dir', 'deeper'), { recursive: true });
    for (let i = 1; i <= 7; i++) await writeFile(join(root, `stray-${i}.txt`), 'left by someone');
    await writeFile(join(root, 'dir', 'deeper', 'file'), 'x');
    const logger = memoryLogger();
    await started(makeSync({ repo: remote.url, root, link: 'app', logger }));
    expect((await readdir(root)).sort()).toEqual(['.git', '.worktrees', 'app']);
    const line = logger.lines
      .map((text) => JSON.parse(text))
      .find((entry) => entry.msg.includes('clearing it'));
    expect(line).toMatchObject({ level: 'warn', root, count: 8 });
    expect(line.first).toHaveLength(5);
    expect(line.first.every((name: string) => name === 'dir' || name.startsWith('stray-'))).toBe(true);
  });

  it.skipIf(!canMount())(
    'leaves a tmpfs and a bind mount inside root alone, with what they hold (root only: mounting needs CAP_SYS_ADMIN)',
    async () => {
      const { dir, remote, root } = await syncFixture();
      const elsewhere = join(dir, 'elsewhere');
      await mkdir(elsewhere);
      await writeFile(join(elsewhere, 'data.db'), 'bound');
      for (const name of ['cache', 'nested/bound']) await mkdir(join(root, name), { recursive: true });
      await mountTmpfs(join(root, 'cache'), '1m');
      await writeFile(join(root, 'cache', 'volume.txt'), 'on another filesystem');
      // Same filesystem as root: st_dev alone would not see this one.
      await bindMount(elsewhere, join(root, 'nested', 'bound'));
      await writeFile(join(root, 'nested', 'sibling.txt'), 'removed');
      await writeFile(join(root, 'stray.txt'), 'removed');
      const logger = memoryLogger();
      await started(makeSync({ repo: remote.url, root, link: 'app', logger }));
      expect(await readFile(join(root, 'cache', 'volume.txt'), 'utf8')).toBe('on another filesystem');
      expect(await readFile(join(root, 'nested', 'bound', 'data.db'), 'utf8')).toBe('bound');
      expect(await readFile(join(elsewhere, 'data.db'), 'utf8')).toBe('bound');
      expect(existsSync(join(root, 'stray.txt'))).toBe(false);
      expect(existsSync(join(root, 'nested', 'sibling.txt'))).toBe(false);
      expect(logger.lines.some((line) => line.includes('left mount points inside root alone'))).toBe(true);
    },
  );
});
