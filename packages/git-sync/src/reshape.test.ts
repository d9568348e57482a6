import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanUpSyncs,
  git,
  makeSync,
  started,
  stopAllSyncs,
  syncFixture,
  TestRemote,
} from '../test/helpers/index.js';

afterEach(cleanUpSyncs);

const fileProtocol = ['protocol.file.allow:always'];

describe('a restart with another --depth or --submodules reshapes what is on disk', () => {
  it('deepens a shallow repository to full history when restarted with --depth 0, the ref unchanged', async () => {
    const { remote, root } = await syncFixture();
    await remote.commit({ 'v.txt': '2' });
    const hash = await remote.commit({ 'v.txt': '3' });
    await started(makeSync({ repo: remote.url, root, link: 'app' }));
    expect(await git(root, 'rev-list', '--count', hash)).toBe('1');
    await stopAllSyncs();

    const gitSync = await started(makeSync({ repo: remote.url, root, link: 'app', depth: 0 }));
    expect(await git(root, 'rev-list', '--count', hash)).toBe('3');
    expect(existsSync(join(root, '.git', 'shallow'))).toBe(false);
    expect(gitSync.status().publishedHash).toBe(hash);
    // Only the first sync after the restart pays for it: later polls stay on the ls-remote fast path.
    const fetches = async () =>
      (await gitSync.registry.getSingleMetric('git_fetch_count_total')!.get()).values[0]!.value;
    const after = await fetches();
    await gitSync.syncNow();
    expect(await fetches()).toBe(after);
  });

  it('deepens to a larger --depth after a restart', async () => {
    const { remote, root } = await syncFixture();
    for (let i = 2; i <= 5; i++) await remote.commit({ 'v.txt': String(i) });
    const hash = await remote.hash();
    await started(makeSync({ repo: remote.url, root, link: 'app', depth: 2 }));
    expect(await git(root, 'rev-list', '--count', hash)).toBe('2');
    await stopAllSyncs();
    await started(makeSync({ repo: remote.url, root, link: 'app', depth: 4 }));
    expect(await git(root, 'rev-list', '--count', hash)).toBe('4');
  });

  it('removes, then brings back, the submodule checkout when --submodules changes across restarts', async () => {
    const { dir, remote, root } = await syncFixture();
    const sub = await TestRemote.create(dir, 'sub.git');
    await sub.commit({ 'lib.txt': 'from the submodule' });
    await git(remote.work, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub.url, 'lib');
    const hash = await remote.commit({}, 'add submodule');
    const link = join(root, 'app');
    const options = { repo: remote.url, root, link: 'app', gitConfig: fileProtocol };
    await started(makeSync(options));
    expect(await readFile(join(link, 'lib', 'lib.txt'), 'utf8')).toBe('from the submodule');
    await stopAllSyncs();

    const off = await started(makeSync({ ...options, submodules: 'off' }));
    expect(off.status().publishedHash).toBe(hash);
    expect(await readdir(join(link, 'lib'))).toEqual([]);
    // The next revision's worktree is made without it too.
    const next = await remote.commit({ 'v.txt': 'next' });
    await off.syncNow();
    expect(off.status().publishedHash).toBe(next);
    expect(await readdir(join(link, 'lib'))).toEqual([]);
    await stopAllSyncs();

    await started(makeSync({ ...options, submodules: 'recursive' }));
    expect(await readFile(join(link, 'lib', 'lib.txt'), 'utf8')).toBe('from the submodule');
  });
});
