import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanUpSyncs,
  makeSync,
  makeTempDir,
  memoryLogger,
  sshdMissing,
  startHttpGitServer,
  startSshd,
  stopAfterTest,
  TestRemote,
} from '../test/helpers/index.js';

afterEach(cleanUpSyncs);

describe('HTTP basic auth', () => {
  it('uses --username and --password-file, re-reading the file at every sync (rotation)', async () => {
    const dir = await makeTempDir();
    const remote = await TestRemote.create(dir);
    const server = await startHttpGitServer(dir, { username: 'deploy', password: 'first-secret' });
    stopAfterTest(server.stop);
    const passwordFile = join(dir, 'password');
    await writeFile(passwordFile, 'first-secret\n');
    const gitSync = makeSync({
      repo: `${server.url}/repo.git`,
      root: join(dir, 'root'),
      username: 'deploy',
      passwordFile,
    });
    await gitSync.start();
    await gitSync.syncNow();
    expect(gitSync.status().publishedHash).toBe(await remote.hash());
    expect(server.credentials).toContain('deploy:first-secret');

    server.setCredentials('deploy', 'rotated-secret');
    await expect(gitSync.syncNow()).rejects.toMatchObject({ code: 'E_AUTH', message: /--password-file/ });
    await writeFile(passwordFile, 'rotated-secret');
    const hash = await remote.commit({ 'v.txt': 'after rotation' });
    await gitSync.syncNow();
    expect(gitSync.status().publishedHash).toBe(hash);
  });

  it('takes the password from the options (GITSYNC_PASSWORD) and fails clearly without one', async () => {
    const dir = await makeTempDir();
    const remote = await TestRemote.create(dir);
    const server = await startHttpGitServer(dir, { username: 'u', password: 'env-secret' });
    stopAfterTest(server.stop);
    const ok = makeSync({
      repo: `${server.url}/repo.git`,
      root: join(dir, 'a'),
      username: 'u',
      password: 'env-secret',
    });
    await ok.start();
    await ok.syncNow();
    expect(ok.status().publishedHash).toBe(await remote.hash());
    const none = makeSync({
      repo: `${server.url}/repo.git`,
      root: join(dir, 'b'),
      oneTime: true,
      maxFailures: 0,
    });
    await expect(none.start()).rejects.toMatchObject({ code: 'E_AUTH' });
  });
});

describe.skipIf(sshdMissing !== null)(`ssh${sshdMissing ? ` (skipped: ${sshdMissing})` : ''}`, () => {
  it('syncs with --ssh-key-file and a checked known_hosts file; rejects an unknown host key', async () => {
    const dir = await makeTempDir();
    const remote = await TestRemote.create(dir);
    const sshd = await startSshd(join(dir, 'ssh'));
    stopAfterTest(sshd.stop);
    const repo = `${sshd.url}${remote.bare}`;
    const gitSync = makeSync({
      repo,
      root: join(dir, 'root'),
      sshKeyFile: [sshd.clientKeyFile],
      sshKnownHostsFile: sshd.knownHostsFile,
    });
    await gitSync.start();
    await gitSync.syncNow();
    expect(gitSync.status().publishedHash).toBe(await remote.hash());

    const emptyKnownHosts = join(dir, 'empty_known_hosts');
    await writeFile(emptyKnownHosts, '');
    const logger = memoryLogger();
    const strict = makeSync({
      repo,
      root: join(dir, 'strict'),
      sshKeyFile: [sshd.clientKeyFile],
      sshKnownHostsFile: emptyKnownHosts,
      oneTime: true,
      maxFailures: 0,
      logger,
    });
    await expect(strict.start()).rejects.toMatchObject({ code: 'E_AUTH', message: /ssh-known-hosts/ });
    expect(logger.lines.some((line) => line.includes('Host key verification failed'))).toBe(true);

    const lax = makeSync({
      repo,
      root: join(dir, 'lax'),
      sshKeyFile: [sshd.clientKeyFile],
      sshKnownHosts: false,
      sshKnownHostsFile: emptyKnownHosts,
      oneTime: true,
    });
    await lax.start();
    expect(lax.status().publishedHash).toBe(await remote.hash());
  });
});
