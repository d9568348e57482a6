import { existsSync } from 'node:fs';
import {
  cp,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  realpath,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanUpSyncs,
  git,
  type HangSwitch,
  hangSwitch,
  makeSync,
  memoryLogger,
  started,
  startGitDaemon,
  stopAfterTest,
  stopAllSyncs,
  syncFixture,
  TestRemote,
  waitFor,
} from '../test/helpers/index.js';

afterEach(cleanUpSyncs);

async function published(link: string): Promise<string> {
  return (await readlink(link)).split('/').pop()!;
}

describe('layout contract', () => {
  it('publishes <root>/<repo leaf> as a relative symlink to .worktrees/<full sha>', async () => {
    const { remote, root } = await syncFixture('project.git');
    const gitSync = await started(makeSync({ repo: remote.url, root }));
    const hash = await remote.hash();
    const link = join(root, 'project.git');
    expect(await readlink(link)).toBe(`.worktrees/${hash}`);
    expect(await readFile(join(link, 'README.md'), 'utf8')).toBe('# test\n');
    expect(gitSync.status()).toMatchObject({ publishedHash: hash, ready: true, consecutiveFailures: 0 });
    expect((await readdir(join(root, '.worktrees'))).sort()).toEqual([hash]);
    expect((await lstat(join(root, '.git'))).isDirectory()).toBe(true);
  });

  it('keeps worktrees usable with git after the volume moves to another path', async () => {
    const { dir, remote, root } = await syncFixture();
    await started(makeSync({ repo: remote.url, root }));
    await stopAllSyncs();
    const moved = join(dir, 'mounted', 'elsewhere');
    await mkdir(join(dir, 'mounted'), { recursive: true });
    await cp(root, moved, { recursive: true, verbatimSymlinks: true });
    await import('node:fs/promises').then((fs) => fs.rm(root, { recursive: true, force: true }));
    const link = join(moved, 'repo.git');
    expect(await git(link, 'rev-parse', 'HEAD')).toBe(await remote.hash());
    expect(await git(link, 'status', '--porcelain')).toBe('');
    expect(await realpath(await git(link, 'rev-parse', '--show-toplevel'))).toBe(await realpath(link));
    expect(await git(moved, 'worktree', 'list')).toContain(await remote.hash());
  });

  it('creates a nested root and a link in a subdirectory, outside root, or absolute: always relative', async () => {
    const { dir, remote } = await syncFixture();
    const root = join(dir, 'a', 'b', 'root');
    const hash = await remote.hash();
    await started(makeSync({ repo: remote.url, root, link: 'sub/dir/current' }));
    expect(await readlink(join(root, 'sub/dir/current'))).toBe(`../../.worktrees/${hash}`);
    await stopAllSyncs();
    const outside = join(dir, 'serve', 'app');
    await started(makeSync({ repo: remote.url, root, link: outside }));
    const target = await readlink(outside);
    expect(target.startsWith('/')).toBe(false);
    expect(resolve(join(dir, 'serve'), target)).toBe(join(root, '.worktrees', hash));
    expect(await readFile(join(outside, 'README.md'), 'utf8')).toBe('# test\n');
  });

  it('clears unknown content and a broken repository from root', async () => {
    const { remote, root } = await syncFixture();
    await mkdir(join(root, '.git'), { recursive: true });
    await writeFile(join(root, '.git', 'garbage'), 'not a repo');
    await writeFile(join(root, 'stray.txt'), 'left by someone');
    await started(makeSync({ repo: remote.url, root }));
    expect(existsSync(join(root, 'stray.txt'))).toBe(false);
    expect(await published(join(root, 'repo.git'))).toBe(await remote.hash());
  });
});

describe('migration', () => {
  it('adopts a tree published by kubernetes/git-sync without checking it out again', async () => {
    const { remote, root } = await syncFixture();
    const hash = await remote.hash();
    await mkdir(root, { recursive: true });
    await git(root, 'init', '-q', '-b', 'git-sync');
    await git(root, 'fetch', '-q', '--depth', '1', remote.url, 'HEAD');
    await git(root, 'worktree', 'add', '-q', '--detach', join(root, '.worktrees', hash), hash);
    await symlink(`.worktrees/${hash}`, join(root, 'repo.git'));
    await writeFile(join(root, '.worktrees', hash, 'written-by-the-app'), 'kept');
    const gitSync = await started(makeSync({ repo: remote.url, root }));
    expect(gitSync.status().publishedHash).toBe(hash);
    expect(await readFile(join(root, 'repo.git', 'written-by-the-app'), 'utf8')).toBe('kept');
  });
});

describe('transports', () => {
  it('syncs from git daemon over git://', async () => {
    const { dir, remote, root } = await syncFixture();
    const daemon = await startGitDaemon(dir);
    try {
      const gitSync = await started(makeSync({ repo: `${daemon.url}/repo.git`, root, link: 'app' }));
      expect(await published(join(root, 'app'))).toBe(await remote.hash());
      const hash = await remote.commit({ 'v.txt': 'over git://' });
      await gitSync.syncNow();
      expect(await readFile(join(root, 'app', 'v.txt'), 'utf8')).toBe('over git://');
      expect(gitSync.status().publishedHash).toBe(hash);
    } finally {
      await daemon.stop();
    }
  });
});

describe('refs', () => {
  it('follows a branch, including a force-push that rewrites history', async () => {
    const { remote, root } = await syncFixture();
    await remote.commit({ 'v.txt': 'dev 1' }, 'dev', 'dev');
    const gitSync = await started(makeSync({ repo: remote.url, root, ref: 'dev', link: 'app' }));
    expect(await readFile(join(root, 'app', 'v.txt'), 'utf8')).toBe('dev 1');
    const rewritten = await remote.forcePushNewHistory({ 'v.txt': 'rewritten' }, 'dev');
    await gitSync.syncNow();
    expect(await published(join(root, 'app'))).toBe(rewritten);
    expect(await readFile(join(root, 'app', 'v.txt'), 'utf8')).toBe('rewritten');
  });

  it('syncs an annotated tag to its commit', async () => {
    const { remote, root } = await syncFixture();
    await remote.commit({ 'v.txt': 'tagged' });
    const commit = await remote.tag('v1.0.0');
    await remote.commit({ 'v.txt': 'after the tag' });
    await started(makeSync({ repo: remote.url, root, ref: 'v1.0.0', link: 'app' }));
    expect(await published(join(root, 'app'))).toBe(commit);
    expect(await readFile(join(root, 'app', 'v.txt'), 'utf8')).toBe('tagged');
  });

  it('syncs a full hash without asking the remote again, and idles', async () => {
    const { remote, root } = await syncFixture();
    const first = await remote.hash();
    await remote.commit({ 'v.txt': 'newer' });
    const gitSync = await started(makeSync({ repo: remote.url, root, ref: first, link: 'app', period: 10 }));
    expect(await published(join(root, 'app'))).toBe(first);
    await waitFor(() => gitSync.status().state === 'idle', { message: 'idle after a hash ref' });
    const text = await gitSync.registry.getSingleMetric('gitpaas_git_sync_ls_remote_total')!.get();
    expect(text.values[0]?.value ?? 0).toBe(0);
  });

  it('resolves a short hash among fetched commits, and fails clearly when it cannot', async () => {
    const { remote, root } = await syncFixture();
    const hash = await remote.commit({ 'v.txt': 'short' });
    await started(makeSync({ repo: remote.url, root, ref: hash.slice(0, 8), link: 'app' }));
    expect(await published(join(root, 'app'))).toBe(hash);
    await stopAllSyncs();
    const missing = makeSync({
      repo: remote.url,
      root,
      ref: 'abcdef12',
      link: 'other',
      oneTime: true,
      maxFailures: 0,
    });
    await expect(missing.start()).rejects.toMatchObject({
      code: 'E_REF_NOT_FOUND',
      message: /use the full hash/,
    });
  });

  it('keeps the last revision published when the ref disappears, and reports why', async () => {
    const { remote, root } = await syncFixture();
    const hash = await remote.commit({ 'v.txt': 'feature' }, 'feature', 'feature');
    const errors: string[] = [];
    const gitSync = await started(makeSync({ repo: remote.url, root, ref: 'feature', link: 'app' }));
    gitSync.on('error', ({ error }) => errors.push(error.code));
    await remote.deleteBranch('feature');
    await expect(gitSync.syncNow()).rejects.toMatchObject({ code: 'E_REF_NOT_FOUND' });
    expect(errors).toEqual(['E_REF_NOT_FOUND']);
    expect(await published(join(root, 'app'))).toBe(hash);
    expect(await readFile(join(root, 'app', 'v.txt'), 'utf8')).toBe('feature');
    expect(gitSync.status()).toMatchObject({
      publishedHash: hash,
      consecutiveFailures: 1,
      lastError: { code: 'E_REF_NOT_FOUND' },
    });
  });
});

describe('polling', () => {
  it('asks the remote every period but fetches only when the ref moved', async () => {
    const { remote, root } = await syncFixture();
    const gitSync = await started(makeSync({ repo: remote.url, root, link: 'app' }));
    const fetches = async () =>
      (await gitSync.registry.getSingleMetric('git_fetch_count_total')!.get()).values[0]!.value;
    const afterFirst = await fetches();
    for (let i = 0; i < 3; i++) await gitSync.syncNow();
    expect(await fetches()).toBe(afterFirst);
    const hash = await remote.commit({ 'v.txt': 'moved' });
    await gitSync.syncNow();
    expect(await fetches()).toBe(afterFirst + 1);
    expect(await published(join(root, 'app'))).toBe(hash);
  });

  it('syncs on the period without being asked', async () => {
    const { remote, root } = await syncFixture();
    const gitSync = makeSync({ repo: remote.url, root, link: 'app', period: 50 });
    await gitSync.start();
    const hash = await remote.commit({ 'v.txt': 'periodic' });
    await waitFor(
      async () => existsSync(join(root, 'app')) && (await published(join(root, 'app'))) === hash,
      {
        message: 'the periodic sync to publish the new commit',
      },
    );
  });

  it('coalesces syncNow calls: one running, one queued', async () => {
    const { remote, root } = await syncFixture();
    let syncs = 0;
    const gitSync = await started(makeSync({ repo: remote.url, root, link: 'app' }));
    gitSync.on('sync', () => syncs++);
    const calls = Array.from({ length: 10 }, (_, i) => gitSync.syncNow(`burst ${i}`));
    await Promise.all(calls);
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeLessThanOrEqual(2);
  });

  it('fetches full history with --depth 0 and shallow history by default', async () => {
    const { remote, root } = await syncFixture();
    await remote.commit({ 'v.txt': '2' });
    await remote.commit({ 'v.txt': '3' });
    await started(makeSync({ repo: remote.url, root, link: 'app' }));
    expect(await git(join(root, 'app'), 'rev-list', '--count', 'HEAD')).toBe('1');
    await stopAllSyncs();
    await remote.commit({ 'v.txt': '4' });
    await started(makeSync({ repo: remote.url, root, link: 'app', depth: 0 }));
    expect(await git(join(root, 'app'), 'rev-list', '--count', 'HEAD')).toBe('4');
  });

  it('leaves submodules out with --submodules off', async () => {
    const { dir, remote, root } = await syncFixture();
    const sub = await TestRemote.create(dir, 'sub.git');
    await git(remote.work, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub.url, 'lib');
    await remote.commit({}, 'add submodule');
    await started(makeSync({ repo: remote.url, root, link: 'app', submodules: 'off' }));
    expect(await readdir(join(root, 'app', 'lib'))).toEqual([]);
  });

  it('checks out submodules recursively', async () => {
    const { dir, remote, root } = await syncFixture();
    const sub = await TestRemote.create(dir, 'sub.git');
    await sub.commit({ 'lib.txt': 'from the submodule' });
    await git(remote.work, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub.url, 'lib');
    const hash = await remote.commit({}, 'add submodule');
    await started(
      makeSync({ repo: remote.url, root, link: 'app', gitConfig: ['protocol.file.allow:always'] }),
    );
    expect(await published(join(root, 'app'))).toBe(hash);
    expect(await readFile(join(root, 'app', 'lib', 'lib.txt'), 'utf8')).toBe('from the submodule');
  });
});

describe('events', () => {
  it('logs a publish listener that throws, and the next sync still runs and publishes', async () => {
    const { remote, root } = await syncFixture();
    const logger = memoryLogger();
    const first = await remote.hash();
    const gitSync = makeSync({ repo: remote.url, root, link: 'app', logger });
    const hashes: string[] = [];
    gitSync.on('publish', () => {
      throw new Error('listener broke');
    });
    gitSync.on('publish', (e) => hashes.push(e.hash));
    await started(gitSync);
    const next = await remote.commit({ 'v.txt': 'after the throw' });
    await gitSync.syncNow();
    expect(await published(join(root, 'app'))).toBe(next);
    expect(gitSync.status()).toMatchObject({ publishedHash: next, consecutiveFailures: 0, lastError: null });
    expect(hashes).toEqual([first, next]);
    const thrown = logger.lines
      .map((line) => JSON.parse(line) as { level: string; msg: string; error?: string })
      .filter((line) => line.msg.includes("'publish' listener threw"));
    expect(thrown).toHaveLength(2);
    expect(thrown[0]).toMatchObject({ level: 'error', error: expect.stringContaining('listener broke') });
  });
});

describe('retention', () => {
  const UPDATES = 150;

  it('keeps only the published worktree by default and bounds disk use over many updates', async () => {
    const { remote, root } = await syncFixture();
    const gitSync = await started(makeSync({ repo: remote.url, root, link: 'app' }));
    const size = async () =>
      Number((await git(root, 'count-objects', '-v')).match(/size-pack: (\d+)/)![1]) +
      Number((await git(root, 'count-objects', '-v')).match(/^size: (\d+)/m)![1]);
    const blob = (i: number) => `${i}\n`.repeat(2000) + 'x'.repeat(i);
    const commits = await remote.prepareCommits(UPDATES, (i) => ({
      'data.txt': blob(i),
      [`f${i % 5}.txt`]: String(i),
    }));
    const sizes: number[] = [];
    for (const [index, hash] of commits.entries()) {
      // As a push moves it (a loose ref in the bare repository), without starting git for it.
      await writeFile(join(remote.bare, 'refs', 'heads', 'main'), `${hash}\n`);
      await gitSync.syncNow();
      expect((await readdir(join(root, '.worktrees'))).length).toBe(1);
      if (index + 1 === 20 || index + 1 === UPDATES) sizes.push(await size());
    }
    expect(await readFile(join(root, 'app', 'f0.txt'), 'utf8')).toBe(String(UPDATES));
    expect(sizes[1]!).toBeLessThan(sizes[0]! * 2 + 64);
    // The published tree's record, plus at most the one retired tree kept for recycling.
    const records = await readdir(join(root, '.git', 'worktrees'));
    expect(records.filter((name) => !name.startsWith('gitpaas-recycle-'))).toEqual([commits.at(-1)]);
    expect(records.length).toBeLessThanOrEqual(2);
  }, 240_000);

  it('repacks into one pack and no loose objects with --git-gc always, and leaves each fetch its pack with off', async () => {
    const { remote, root } = await syncFixture();
    const packs = async (dir: string) =>
      (await readdir(join(dir, '.git', 'objects', 'pack'))).filter((f) => f.endsWith('.pack'));
    const always = await started(makeSync({ repo: remote.url, root, link: 'app' }));
    const off = await started(makeSync({ repo: remote.url, root: `${root}-off`, link: 'app', gitGc: 'off' }));
    await remote.commit({ 'v.txt': '2' });
    await always.syncNow();
    await off.syncNow();
    const loose = async (dir: string) =>
      (await readdir(join(dir, '.git', 'objects'))).filter((name) => /^[0-9a-f]{2}$/.test(name));
    expect((await packs(root)).length).toBe(1);
    expect(await loose(root)).toEqual([]);
    // Nothing collected: the first fetch's pack and the second's stay apart.
    expect((await packs(`${root}-off`)).length).toBe(2);
  });

  it('keeps replaced worktrees for --stale-worktree-timeout, then removes them', async () => {
    const { remote, root } = await syncFixture();
    const first = await remote.hash();
    const gitSync = await started(
      makeSync({ repo: remote.url, root, link: 'app', staleWorktreeTimeout: 1500 }),
    );
    const second = await remote.commit({ 'v.txt': '2' });
    await gitSync.syncNow();
    expect((await readdir(join(root, '.worktrees'))).sort()).toEqual([first, second].sort());
    expect(gitSync.status().revisions.map((r) => r.hash)).toEqual([second, first]);
    await waitFor(
      async () => {
        await gitSync.syncNow();
        return (await readdir(join(root, '.worktrees'))).length === 1;
      },
      { message: 'the stale worktree to be removed', interval: 200 },
    );
    expect(await readdir(join(root, '.worktrees'))).toEqual([second]);
  });
});

/** A git daemon serving the fixture's remote whose fetches hang once engaged; stopped after the test. */
async function hangingDaemon(dir: string): Promise<{ hang: HangSwitch; repo: string }> {
  const hang = await hangSwitch(dir);
  stopAfterTest(hang.cleanup);
  const daemon = await startGitDaemon(dir, { env: hang.serverEnv });
  stopAfterTest(daemon.stop);
  return { hang, repo: `${daemon.url}/repo.git` };
}

describe('stop and timeouts', () => {
  it('stops promptly while git is busy and leaves the published revision intact', async () => {
    const { dir, remote, root } = await syncFixture();
    const first = await remote.hash();
    const { hang, repo } = await hangingDaemon(dir);
    const gitSync = await started(makeSync({ repo, root, link: 'app' }));
    await hang.engage();
    await remote.commit({ 'v.txt': 'never published' });
    const syncing = gitSync.syncNow().catch((error: unknown) => error);
    await waitFor(() => hang.hanging(), { message: 'a fetch hanging on the server' });
    // The fetch now hangs for 600 s: only killing git lets stop() and this test finish.
    const stopping = performance.now();
    await gitSync.stop();
    // The README says stop() takes about a second; 5 s leaves room for a loaded 2-core machine.
    expect(performance.now() - stopping).toBeLessThan(5000);
    expect(await syncing).toMatchObject({ code: 'E_STOPPED' });
    expect(await published(join(root, 'app'))).toBe(first);
    expect(gitSync.status().state).toBe('stopped');
  });

  it('gives up a sync after --sync-timeout, keeping the published revision', async () => {
    const { dir, remote, root } = await syncFixture();
    const first = await remote.hash();
    const { hang, repo } = await hangingDaemon(dir);
    const gitSync = await started(makeSync({ repo, root, link: 'app', syncTimeout: 1500 }));
    await hang.engage();
    await remote.commit({ 'v.txt': 'too slow' });
    await expect(gitSync.syncNow()).rejects.toMatchObject({ code: 'E_TIMEOUT', message: /--sync-timeout/ });
    expect(await published(join(root, 'app'))).toBe(first);
  });
});
