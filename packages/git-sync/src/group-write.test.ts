import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs, runBin, TestRemote } from '../test/helpers/index.js';

afterEach(removeTempDirs);

/** Permission bits of a file and a directory inside the published tree and of the shared repository. */
async function modes(root: string): Promise<number[]> {
  const paths = [join(root, 'repo.git', 'app', 'main.js'), join(root, 'repo.git', 'app'), join(root, '.git')];
  return Promise.all(paths.map(async (path) => (await stat(path)).mode & 0o777));
}

describe('git-sync bin: --group-write (kubernetes/git-sync: umask 002, else 022)', () => {
  it('makes the repository and worktrees group-writable only when asked', async () => {
    const dir = await makeTempDir();
    const remote = await TestRemote.create(dir);
    await remote.commit({ 'app/main.js': 'console.log(1)\n' });

    const plain = join(dir, 'plain');
    const first = await runBin(['--repo', remote.url, '--root', plain, '--one-time']);
    expect(first.exitCode).toBe(0);
    expect(await modes(plain)).toEqual([0o644, 0o755, 0o755]);

    const shared = join(dir, 'shared');
    const second = await runBin(['--repo', remote.url, '--root', shared, '--one-time'], {
      env: { GITSYNC_GROUP_WRITE: 'true' },
    });
    expect(second.exitCode).toBe(0);
    expect(await modes(shared)).toEqual([0o664, 0o775, 0o775]);
  });
});
