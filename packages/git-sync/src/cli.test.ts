import { existsSync } from 'node:fs';
import { mkdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  hangSwitch,
  makeTempDir,
  removeTempDirs,
  runBin,
  spawnBin,
  startGitDaemon,
  TestRemote,
  waitFor,
} from '../test/helpers/index.js';

afterEach(removeTempDirs);

describe('git-sync bin: usage errors exit 2 with one line naming the flag', () => {
  it.each([
    [['--nope'], /^git-sync: unknown flag --nope: run with --help/],
    [['--root', '/tmp/x'], /^git-sync: --repo is required/],
    [['--repo', 'file:///r'], /^git-sync: --root is required/],
    [
      ['--repo', 'file:///r', '--root', '/tmp/x', '--period', 'soon'],
      /^git-sync: --period: "soon" is not a duration/,
    ],
    [
      ['--repo', 'file:///r', '--root', '/tmp/x', '--period', '5ms'],
      /^git-sync: --period: 5ms is too small, use at least 10ms/,
    ],
    [['--repo', 'file:///r', '--root', '/tmp/x', '--depth', '-1'], /^git-sync: --depth: -1 is too small/],
    [
      ['--repo', 'file:///r', '--root', '/tmp/x', '--git-gc', 'sometimes'],
      /^git-sync: --git-gc: "sometimes" is not one of auto, always, aggressive, off/,
    ],
    [
      ['--repo', 'file:///r', '--root', '/tmp/x', '--submodules', 'all'],
      /^git-sync: --submodules: "all" is not one of/,
    ],
    [
      ['--repo', 'file:///r', '--root', '/tmp/x', '--password-file', '/p'],
      /^git-sync: --username is required/,
    ],
    [
      ['--repo', 'file:///r', '--root', '/tmp/x', '--http-bind', 'nowhere'],
      /^git-sync: --http-bind: "nowhere" is not host:port/,
    ],
    [
      ['--repo', 'file:///r', '--root', '/tmp/x', '--http-bind', ':70000'],
      /^git-sync: --http-bind: port 70000 is out of range, use 0 to 65535/,
    ],
    [
      ['--repo', 'file:///r', '--root', '/tmp/x', '--git-config', 'novalue'],
      /^git-sync: --git-config: expected key:value/,
    ],
  ])('%j', async (args, message) => {
    const result = await runBin(args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  it('reads GITSYNC_* and the v3 GIT_SYNC_* env names; flags win', async () => {
    const bad = await runBin([], {
      env: { GIT_SYNC_REPO: 'file:///r', GITSYNC_ROOT: '/tmp/x', GITSYNC_PERIOD: 'x' },
    });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^git-sync: GITSYNC_PERIOD: "x" is not a duration/);
    const dir = await makeTempDir();
    const remote = await TestRemote.create(dir);
    const ok = await runBin(['--period', '1s', '--link', 'from-flag'], {
      env: {
        GIT_SYNC_REPO: remote.url,
        GITSYNC_ROOT: join(dir, 'root'),
        GITSYNC_PERIOD: 'x',
        GITSYNC_LINK: 'from-env',
        GITSYNC_ONE_TIME: 'true',
      },
    });
    expect(ok.exitCode).toBe(0);
    expect(existsSync(join(dir, 'root', 'from-flag'))).toBe(true);
  });

  it('prints generated --help and --version', async () => {
    const help = await runBin(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('--stale-worktree-timeout <duration>');
    expect(help.stdout).toContain('[$GITSYNC_REPO]');
    const version = await runBin(['--version']);
    expect(version.stdout).toMatch(/^git-sync \d+\.\d+\.\d+/);
  });
});

describe('git-sync bin: runs', () => {
  it('--one-time publishes and exits 0, logging JSON lines on stderr', async () => {
    const dir = await makeTempDir();
    const remote = await TestRemote.create(dir);
    const root = join(dir, 'root');
    const result = await runBin(['--repo', remote.url, '--root', root, '--one-time']);
    expect(result.exitCode).toBe(0);
    expect(await readlink(join(root, 'repo.git'))).toBe(`.worktrees/${await remote.hash()}`);
    const lines = result.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.msg)).toContain('updated successfully');
    expect(result.stdout).toBe('');
  });

  it.each([
    [
      'an unreachable repo',
      (dir: string) => ['--repo', 'git://127.0.0.1:1/none.git', '--root', join(dir, 'root')],
      /check --repo/,
    ],
    [
      'a missing ref',
      (dir: string) => [
        '--repo',
        `file://${dir}/repo.git`,
        '--root',
        join(dir, 'root'),
        '--ref',
        'no-such-branch',
      ],
      /--ref no-such-branch does not exist/,
    ],
    [
      'a root that cannot be written',
      (dir: string) => ['--repo', `file://${dir}/repo.git`, '--root', join(dir, 'a-file', 'root')],
      /cannot use --root .*a-file\/root/,
    ],
  ])('--one-time with %s exits 1 with one error line saying what to do', async (_name, args, message) => {
    const dir = await makeTempDir();
    await TestRemote.create(dir);
    await writeFile(join(dir, 'a-file'), 'not a directory');
    const result = await runBin([...args(dir), '--one-time', '--error-file', join(dir, 'error.json')]);
    expect(result.exitCode).toBe(1);
    const errors = result.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((line) => line.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0].error).toMatch(message);
    const errorFile = JSON.parse(await readFile(join(dir, 'error.json'), 'utf8'));
    expect(errorFile.Err).toMatch(message);
  });

  it('stops on SIGTERM while git is busy, without publishing a half-made tree', async () => {
    const dir = await makeTempDir();
    const remote = await TestRemote.create(dir);
    const root = join(dir, 'root');
    const first = await remote.hash();
    const hang = await hangSwitch(dir);
    const daemon = await startGitDaemon(dir, { env: hang.serverEnv });
    const bin = spawnBin(['--repo', `${daemon.url}/repo.git`, '--root', root, '--period', '100ms']);
    try {
      await waitFor(() => existsSync(join(root, 'repo.git')), { message: 'the first publish' });
      await hang.engage();
      await remote.commit({ 'v.txt': 'never published' });
      await waitFor(() => hang.hanging(), { message: 'a fetch hanging on the server' });
      // The server would hold the fetch for 600 s; the bin must kill git to exit.
      const killedAt = performance.now();
      bin.child.kill('SIGTERM');
      const result = await bin.child;
      // The README says it stops within about a second; 5 s leaves room for a loaded 2-core machine.
      expect(performance.now() - killedAt).toBeLessThan(5000);
      expect(result.exitCode).toBe(0);
      expect(bin.output()).toContain('"msg":"stopped"');
      expect(await readlink(join(root, 'repo.git'))).toBe(`.worktrees/${first}`);
    } finally {
      await bin.stop();
      await hang.cleanup();
      await daemon.stop();
    }
  });

  it('logs debug lines (each git command) only with -v', async () => {
    const dir = await makeTempDir();
    const remote = await TestRemote.create(dir);
    const quiet = await runBin(['--repo', remote.url, '--root', join(dir, 'a'), '--one-time']);
    const verbose = await runBin(['--repo', remote.url, '--root', join(dir, 'b'), '--one-time', '-v', '1']);
    expect(quiet.stderr).not.toContain('"msg":"running git"');
    expect(verbose.stderr).toContain('"msg":"running git"');
    expect(verbose.stderr).toContain('"command":"git init');
    // Into an empty root the ref is fetched at once (nothing to compare an ls-remote with).
    expect(verbose.stderr).toContain('"command":"git -c fetch.unpackLimit=1 fetch');
    expect(verbose.stderr).not.toContain('"command":"git ls-remote');
  });

  it('exits 1 on the first failure by default (--max-failures 0), keeping the revision published', async () => {
    const dir = await makeTempDir();
    const remote = await TestRemote.create(dir);
    const root = join(dir, 'root');
    await mkdir(root);
    const bin = spawnBin(['--repo', remote.url, '--root', root, '--ref', 'main', '--period', '50ms']);
    try {
      await waitFor(() => existsSync(join(root, 'repo.git')));
      await remote.deleteBranch('main');
      const result = await bin.child;
      expect(result.exitCode).toBe(1);
      expect(bin.output()).toContain('too many failures, giving up');
      expect(existsSync(join(root, 'repo.git', 'README.md'))).toBe(true);
    } finally {
      await bin.stop();
    }
  });
});
