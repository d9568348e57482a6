import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanUpSyncs,
  git,
  makeSync,
  makeTempDir,
  startHttpGitServer,
  stopAfterTest,
  TestRemote,
} from '../test/helpers/index.js';

afterEach(cleanUpSyncs);

describe('HTTP credentials are scoped to the --repo host (as kubernetes/git-sync stores them)', () => {
  it('never offers the --username password to another host, e.g. a submodule server', async () => {
    const dir = await makeTempDir();
    const mainDir = join(dir, 'main');
    const otherDir = join(dir, 'other');
    await mkdir(mainDir);
    await mkdir(otherDir);
    const lib = await TestRemote.create(otherDir, 'lib.git');
    const other = await startHttpGitServer(otherDir, { username: 'someone', password: 'their-own' });
    stopAfterTest(other.stop);
    const main = await startHttpGitServer(mainDir, { username: 'deploy', password: 'main-S3CRET' });
    stopAfterTest(main.stop);

    // The main repository has a submodule on the other server (written by hand: no clone needed).
    const remote = await TestRemote.create(mainDir);
    await writeFile(
      join(remote.work, '.gitmodules'),
      `[submodule "lib"]\n\tpath = lib\n\turl = ${other.url}/lib.git\n`,
    );
    await git(remote.work, 'add', '.gitmodules');
    await git(remote.work, 'update-index', '--add', '--cacheinfo', `160000,${await lib.hash()},lib`);
    await git(remote.work, 'commit', '-q', '-m', 'add lib');
    await git(remote.work, 'push', '-q', 'origin', 'HEAD:refs/heads/main');

    const passwordFile = join(dir, 'password');
    await writeFile(passwordFile, 'main-S3CRET\n');
    const gitSync = makeSync({
      repo: `${main.url}/repo.git`,
      root: join(dir, 'root'),
      username: 'deploy',
      passwordFile,
    });
    await gitSync.start();
    // The submodule host asks for credentials git-sync has none for, so the sync fails…
    await expect(gitSync.syncNow()).rejects.toMatchObject({ code: expect.any(String) });
    // …after the main host got its password, and without the other host ever seeing it.
    expect(main.credentials).toContain('deploy:main-S3CRET');
    expect(other.statuses).toContain(401);
    expect(other.credentials.join('\n')).not.toContain('main-S3CRET');
  });
});
