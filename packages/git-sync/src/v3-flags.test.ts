import { existsSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs, runBin, TestRemote } from '../test/helpers/index.js';
import { applyV3Flags } from './v3-flags.js';

afterEach(removeTempDirs);

describe('applyV3Flags: kubernetes/git-sync v3 names map onto v4 flags as the peer does', () => {
  it('maps each v3 flag and notes it', () => {
    const { values, notes } = applyV3Flags({
      ref: 'HEAD',
      branch: 'release',
      dest: 'current',
      wait: '0.5',
      timeout: 30,
      maxSyncFailures: -1,
      syncHookCommand: '/bin/hook',
      ssh: true,
      period: 10_000,
    });
    expect(values).toEqual({
      ref: 'release',
      link: 'current',
      period: 500,
      syncTimeout: 30_000,
      maxFailures: -1,
      exechookCommand: '/bin/hook',
    });
    expect(notes).toContain('setting --ref from deprecated --branch');
    expect(notes).toHaveLength(6);
  });

  it('--rev sets --ref when --branch is unset; --branch wins over --rev HEAD', () => {
    expect(applyV3Flags({ ref: 'HEAD', rev: 'v1.2' }).values.ref).toBe('v1.2');
    expect(applyV3Flags({ ref: 'HEAD', branch: 'b', rev: 'HEAD' }).values.ref).toBe('b');
  });

  it('leaves the v4 values alone when no v3 name is set', () => {
    const input = { ref: 'main', period: 2000, maxFailures: 3, changePermissions: 0 };
    expect(applyV3Flags(input)).toEqual({
      values: { ref: 'main', period: 2000, maxFailures: 3 },
      notes: [],
    });
  });

  it.each([
    [{ branch: 'a', rev: 'b' }, /--branch and --rev cannot both set --ref/],
    [{ wait: 'soon' }, /--wait: "soon" is not a number of seconds/],
    [{ changePermissions: 775 }, /--change-permissions is no longer supported/],
  ])('rejects %j with a line naming the flag', (input, message) => {
    expect(() => applyV3Flags(input)).toThrow(message);
  });
});

describe('git-sync bin: v3 env names of an upgraded deployment', () => {
  it('GIT_SYNC_BRANCH, GIT_SYNC_DEST and GIT_SYNC_WAIT pick the branch, link and period', async () => {
    const dir = await makeTempDir();
    const remote = await TestRemote.create(dir);
    const feature = await remote.commit({ 'which.txt': 'feature' }, 'feature work', 'feature');
    const root = join(dir, 'root');
    const result = await runBin([], {
      env: {
        GIT_SYNC_REPO: remote.url,
        GIT_SYNC_ROOT: root,
        GIT_SYNC_BRANCH: 'feature',
        GIT_SYNC_DEST: 'current',
        GIT_SYNC_WAIT: '0.5',
        GIT_SYNC_ONE_TIME: 'true',
      },
    });
    expect(result.exitCode).toBe(0);
    expect(await readlink(join(root, 'current'))).toBe(`.worktrees/${feature}`);
    expect(await readFile(join(root, 'current', 'which.txt'), 'utf8')).toBe('feature');
    expect(existsSync(join(root, 'repo.git'))).toBe(false);
    const lines = result.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; period?: number });
    const msgs = lines.map((line) => line.msg);
    expect(msgs).toContain('setting --ref from deprecated --branch');
    expect(msgs).toContain('setting --link from deprecated --dest');
    expect(lines.find((line) => line.msg === 'starting')?.period).toBe(500);
  });

  it('--branch with a different --rev is a usage error (exit 2, one line)', async () => {
    const result = await runBin(['--repo', 'file:///r', '--root', '/tmp/x', '--branch', 'a', '--rev', 'b']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^git-sync: --branch and --rev cannot both set --ref/);
  });

  it('--help lists the v3 names as deprecated', async () => {
    const help = await runBin(['--help']);
    expect(help.stdout).toContain('--dest');
    expect(help.stdout).toMatch(/--branch <string> +deprecated: use --ref/);
  });
});
