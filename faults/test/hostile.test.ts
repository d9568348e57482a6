import { existsSync } from 'node:fs';
import { mkdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startGitDaemon, TestRemote } from '@gitpaas/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { APP, type BinName, cleanEnv, runBin, stopAllBins } from '../src/bins.js';
import { Decoy } from '../src/decoy.js';
import { type FaultCase, faultCase } from '../src/fault-case.js';
import { publishedRevision, revisionFiles } from '../src/revisions.js';

const GROUP = 'Hostile inputs';
/** A remote nothing listens on: a case whose input is refused never gets that far. */
const NOWHERE = 'git://127.0.0.1:1/nowhere.git';

afterAll(stopAllBins);

interface Run {
  /** How the run is named in a failure. */
  what: string;
  bin: BinName;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/**
 * git-sync with `flags`, and for the first `sampled` inputs of a list also `gitpaas sync` and
 * `gitpaas up` (the same checks through the CLI; each run of it costs a second of CPU).
 */
function withBins(flags: string[], alsoCli: boolean, env?: Record<string, string>): Run[] {
  const runs: Run[] = [
    { what: `git-sync ${flags.join(' ')}`, bin: 'git-sync', args: [...flags, '--one-time'], env },
  ];
  if (!alsoCli) return runs;
  runs.push(
    { what: `gitpaas sync ${flags.join(' ')}`, bin: 'gitpaas', args: ['sync', ...flags, '--one-time'], env },
    {
      what: `gitpaas up ${flags.join(' ')}`,
      bin: 'gitpaas',
      // A port nothing listens on: the run is refused before it would listen.
      args: ['up', ...flags, '--port', '1024', '--', process.execPath, APP],
      env,
    },
  );
  return runs;
}

/** How many inputs of each list also go through `gitpaas sync` and `gitpaas up`. */
const SAMPLED = 3;

/** Runs each bin (4 at a time); each is one bad input. */
async function runAll(record: FaultCase, runs: Run[]) {
  const results: Array<Run & Awaited<ReturnType<typeof runBin>>> = [];
  for (let i = 0; i < runs.length; i += 4) {
    const batch = runs.slice(i, i + 4);
    results.push(
      ...(await Promise.all(
        batch.map(async (run) => ({
          ...run,
          ...(await runBin(run.bin, run.args, { env: cleanEnv(run.env), cwd: run.cwd, timeoutMs: 30_000 })),
        })),
      )),
    );
  }
  record.badInput(runs.length);
  return results;
}

/** Exit 2, nothing on stdout, one line on stderr naming `flag`. */
function expectUsageError(result: Awaited<ReturnType<typeof runAll>>[number], flag: string): void {
  const lines = result.stderr.trim().split('\n');
  expect({ what: result.what, code: result.code, stdout: result.stdout, lines: lines.length }).toEqual({
    what: result.what,
    code: 2,
    stdout: '',
    lines: 1,
  });
  expect(lines[0], result.what).toMatch(new RegExp(`^(git-sync|gitpaas \\w+): ${flag} `));
}

/** A repository on git daemon with one revision on main, and the decoy beside it. */
async function remoteAndDecoy(record: FaultCase) {
  const dir = await record.tempDir('hostile');
  const remote = await TestRemote.create(dir);
  await remote.commit(revisionFiles('base'));
  const daemon = await startGitDaemon(dir);
  record.defer(() => daemon.stop());
  const decoy = await Decoy.create(join(dir, 'decoy'));
  return { dir, repo: `${daemon.url}/repo.git`, decoy };
}

describe.concurrent(GROUP, () => {
  it('hostile roots: /, /etc, $HOME, a directory holding $HOME or the working directory, symlinks to them', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'git-sync (and for 4 of them `gitpaas sync` and `gitpaas up`), given as --root (or GITSYNC_ROOT) `/`, `/etc`, `/tmp/../etc`, $HOME, a directory holding $HOME, one holding the working directory, or a symlink to /etc or to $HOME: each exits 2 before anything runs, with one line naming --root; nothing in the decoy (holding $HOME and the working directory) changes, and no .git appears in / or /etc',
    );
    const dir = await record.tempDir('roots');
    const decoy = await Decoy.create(join(dir, 'decoy'));
    const home = decoy.path('home');
    const cwd = decoy.path('dir', 'sub');
    await mkdir(home);
    await writeFile(join(home, '.profile'), 'export EDITOR=vi\n');
    await symlink('/etc', decoy.path('etc-link'));
    await symlink(home, decoy.path('home-link'));
    const before = await decoy.snapshot();
    const roots = ['/', '/etc', '/tmp/../etc', home, decoy.dir, decoy.path('dir'), decoy.path('etc-link')];
    roots.push(decoy.path('home-link'));
    const env = { HOME: home };
    const runs = roots.flatMap((root, i) =>
      withBins(['--repo', NOWHERE, '--root', root], i < SAMPLED || i === 3, env).map((run) => ({
        ...run,
        cwd,
      })),
    );
    for (const root of ['/', '/etc', home])
      runs.push({
        what: `GITSYNC_ROOT=${root} git-sync`,
        bin: 'git-sync',
        args: ['--repo', NOWHERE, '--one-time'],
        env: { ...env, GITSYNC_ROOT: root },
        cwd,
      });
    for (const result of await runAll(record, runs)) expectUsageError(result, '--root');
    expect(await decoy.snapshot()).toEqual(before);
    expect(existsSync('/.git') || existsSync('/etc/.git')).toBe(false);
    record.observe(
      `${runs.length} runs (${roots.length} roots to git-sync, 4 of them to gitpaas sync and up too, 3 by GITSYNC_ROOT), all refused`,
    );
  });

  it('hostile refs: git option look-alikes, revision syntax, control characters, shell syntax', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'refs git does not allow (leading `-`, `..`, `@{`, `~ ^ : ? * [ \\`, a space, tab or newline, empty or `.`-led or `.lock` components, trailing `/` or `.`, `@`, empty) each exit 2 with one line naming --ref before any git runs (git-sync; the first 3 through `gitpaas sync` and `gitpaas up` too); names git allows that look like shell (`main;touch$IFS.pwned`, `$(touch$IFS.pwned)`, `main|id`) are only ever an argument: E_REF_NOT_FOUND, exit 1, nothing created; the decoy (the working directory) does not change',
    );
    const { dir, repo, decoy } = await remoteAndDecoy(record);
    const before = await decoy.snapshot();
    const refused = [
      '-upload-pack=touch pwned',
      '--upload-pack=touch',
      'a..b',
      'main@{1}',
      'main~1',
      'main^',
    ];
    refused.push('a:b', 'a?', 'a*', 'a[b', 'a\\b', 'a b', 'a\tb', 'a\nb', 'a//b', '.hidden', 'a/.x');
    refused.push('x.lock', 'a/', 'a.', '@', '', '`touch pwned`');
    const runs = refused.flatMap((ref, i) =>
      withBins(['--repo', repo, '--root', join(dir, `root-${i}`), '--ref', ref], i < SAMPLED).map((run) => ({
        ...run,
        cwd: decoy.dir,
      })),
    );
    for (const result of await runAll(record, runs)) expectUsageError(result, '--ref');
    const shellish = ['main;touch$IFS.pwned', '$(touch$IFS.pwned)', 'main|id'];
    const notFound = await runAll(
      record,
      shellish.map((ref, i) => ({
        what: `git-sync --ref ${ref}`,
        bin: 'git-sync' as const,
        args: ['--repo', repo, '--root', join(dir, `root-shell-${i}`), '--ref', ref, '--one-time'],
        cwd: decoy.dir,
      })),
    );
    for (const result of notFound) {
      expect(result.code, result.what).toBe(1);
      expect(errorLines(result.stderr), result.what).toEqual([
        expect.stringContaining('"code":"E_REF_NOT_FOUND"'),
      ]);
    }
    expect(await decoy.snapshot()).toEqual(before);
    record.observe(
      `${runs.length} runs refused (${refused.length} refs to git-sync, ${SAMPLED} of them to gitpaas sync and up too); ${shellish.length} shell-like names not found`,
    );
  });

  it('hostile URLs: option look-alikes, the ext:: and fd:: transports, an ssh host that is an option', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      '`--repo` starting with `-` exits 2 with one line naming --repo (git-sync, `gitpaas sync`, `gitpaas up`); `ext::sh -c touch% pwned`, `ssh://-oProxyCommand=touch%20pwned/x`, a directory that is not a repository and a closed port each fail with exit 1 and one error line saying why (git refuses the transport or the host), running nothing; `fd::7` (git waits on a closed descriptor) ends by --sync-timeout (5s) with E_TIMEOUT; the decoy (the working directory) does not change',
    );
    const { dir, decoy } = await remoteAndDecoy(record);
    const before = await decoy.snapshot();
    const options = ['-uhack', '--upload-pack=touch pwned', '-c core.sshCommand=touch pwned'];
    const runs = options.flatMap((repo, i) =>
      withBins(['--repo', repo, '--root', join(dir, `root-${i}`)], i < SAMPLED).map((run) => ({
        ...run,
        cwd: decoy.dir,
      })),
    );
    for (const result of await runAll(record, runs)) expectUsageError(result, '--repo');
    const refusedByGit: Array<[string, RegExp]> = [
      ['ext::sh -c touch% pwned', /transport 'ext' not allowed/],
      // git reads the closed descriptor and waits: only --sync-timeout ends it.
      ['fd::7', /E_TIMEOUT/],
      ['ssh://-oProxyCommand=touch%20pwned/x', /strange hostname|blocked/],
      [`file://${decoy.dir}`, /does not appear to be a git repository/],
      ['http://127.0.0.1:1/x.git', /Could not connect|Failed to connect|Connection refused/],
    ];
    const failed = await runAll(
      record,
      refusedByGit.map(([repo], i) => ({
        what: `git-sync --repo ${repo}`,
        bin: 'git-sync' as const,
        args: ['--repo', repo, '--root', join(dir, `root-git-${i}`), '--one-time', '--sync-timeout', '5s'],
        cwd: decoy.dir,
      })),
    );
    for (const [i, result] of failed.entries()) {
      expect(result.code, result.what).toBe(1);
      expect(errorLines(result.stderr), result.what).toEqual([expect.stringMatching(refusedByGit[i]![1])]);
      const said = (JSON.parse(errorLines(result.stderr)[0]!) as { error: string }).error;
      // The decoy's temp path differs in every run: the doc shows it as <decoy>.
      record.observe(`${refusedByGit[i]![0]}: ${said}`.replaceAll(decoy.dir, '<decoy>'));
    }
    expect(await decoy.snapshot()).toEqual(before);
  });

  it('hostile links: git-sync’s own directories, root itself, a file, a directory or a symlink outside root', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      '`--link` naming root itself or a path in `.git` or `.worktrees`, however written (`.`, `./`, `.git`, `./.git`, `a/../.git`, `.git/HEAD`, `.worktrees/x`, `<root>/.git/x`), exits 2 with one line naming --link (git-sync; the first 3 through `gitpaas sync` and `gitpaas up` too); a link pointing outside root at an existing file or directory fails with E_PUBLISH (exit 1) and leaves it as it was; at an existing symlink it replaces only that symlink; nothing else in the decoy changes',
    );
    const { dir, repo, decoy } = await remoteAndDecoy(record);
    const root = join(dir, 'root');
    const links = [
      '.',
      './',
      '.git',
      '.git/',
      './.git',
      'a/../.git',
      '.git/HEAD',
      '.worktrees',
      '.worktrees/x',
    ];
    links.push(join(root, '.git', 'x'), root);
    const before = await decoy.snapshot();
    const runs = links.flatMap((link, i) =>
      withBins(['--repo', repo, '--root', root, '--link', link], i < SAMPLED),
    );
    for (const result of await runAll(record, runs)) expectUsageError(result, '--link');

    const outside = await runAll(
      record,
      ['notes.txt', 'dir', 'dir-link'].map((name, i) => ({
        what: `git-sync --link ${decoy.path(name)}`,
        bin: 'git-sync' as const,
        args: [
          '--repo',
          repo,
          '--root',
          join(dir, `root-out-${i}`),
          '--link',
          decoy.path(name),
          '--one-time',
        ],
      })),
    );
    for (const result of outside.slice(0, 2)) {
      expect(result.code, result.what).toBe(1);
      expect(errorLines(result.stderr), result.what).toEqual([
        expect.stringMatching(/"code":"E_PUBLISH".*it exists and is not a symlink/),
      ]);
    }
    expect(outside[2]!.code, outside[2]!.what).toBe(0);
    expect(await readlink(decoy.path('dir-link'))).toMatch(/\.worktrees\/[0-9a-f]{40}$/);
    expect(await readFile(decoy.path('notes.txt'), 'utf8')).toBe('a file of the user\n');
    const changed = (await decoy.snapshot()).filter((line) => !before.includes(line));
    expect(changed).toEqual([expect.stringMatching(/\/dir-link link /)]);
    record.observe(
      `${runs.length} runs refused (${links.length} links to git-sync, ${SAMPLED} of them to gitpaas sync and up too); outside root: the file and the directory kept, the symlink replaced`,
    );
  });

  it('a link outside --root outlives its root (root cleared, the link on another volume)', async (context) => {
    const record = faultCase(
      context,
      GROUP,
      'git-sync publishes with `--link` outside `--root`, then root is removed (an emptyDir after a restart) while the link stays: the next run (the remote unchanged) fetches the commit again, checks it out and exits 0 with the link on a whole tree of that revision',
    );
    const { dir, repo, decoy } = await remoteAndDecoy(record);
    const root = join(dir, 'root');
    const link = decoy.path('app');
    const args = ['--repo', repo, '--root', root, '--link', link, '--one-time'];
    const first = await runBin('git-sync', args);
    expect(first.code, first.stderr).toBe(0);
    const hash = (await readlink(link)).split('/').at(-1)!;
    await rm(root, { recursive: true, force: true });
    record.fault();
    const again = await runBin('git-sync', args);
    expect(again.code, again.stderr).toBe(0);
    expect((await publishedRevision(root, link))?.hash).toBe(hash);
    record.observe(
      `the second run said: ${errorLines(again.stderr).length} errors; ${again.stderr.includes('checking it out again') ? 'checked the worktree out again' : 'no repair logged'}`,
    );
  });
});

/** git-sync's log lines at level error or above. */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /"level":(50|60)/.test(line));
}
