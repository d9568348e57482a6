import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import {
  git,
  gitEnv,
  makeTempDir,
  removeTempDirs,
  sshdMissing,
  startGitDaemon,
  startHttpGitServer,
  startSshd,
  TestRemote,
} from './index.js';

afterEach(removeTempDirs);

describe('test helpers serve real git', () => {
  it('serves a bare repo over git daemon, authenticated http and ssh', async () => {
    const dir = await makeTempDir();
    const remote = await TestRemote.create(dir);
    const hash = await remote.hash();
    const daemon = await startGitDaemon(dir);
    const http = await startHttpGitServer(dir, { username: 'u', password: 'p' });
    try {
      expect(await git(dir, 'ls-remote', `${daemon.url}/repo.git`, 'HEAD')).toContain(hash);
      const u = new URL(`${http.url}/repo.git`);
      u.username = 'u';
      u.password = 'p';
      expect(await git(dir, 'ls-remote', u.href, 'HEAD')).toContain(hash);
      const denied = await execa('git', ['ls-remote', `${http.url}/repo.git`], {
        env: gitEnv,
        reject: false,
      });
      expect(denied.exitCode).not.toBe(0);
      await git(dir, 'clone', '-q', u.href, join(dir, 'clone'));
      expect(await git(join(dir, 'clone'), 'rev-parse', 'HEAD')).toBe(hash);
    } finally {
      await daemon.stop();
      await http.stop();
    }
  });

  it.skipIf(sshdMissing !== null)('serves over ssh', async () => {
    const dir = await makeTempDir();
    const remote = await TestRemote.create(dir);
    const sshd = await startSshd(join(dir, 'ssh'));
    try {
      const out = await execa('git', ['ls-remote', `${sshd.url}${remote.bare}`, 'HEAD'], {
        env: {
          ...gitEnv,
          GIT_SSH_COMMAND: `ssh -i ${sshd.clientKeyFile} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${sshd.knownHostsFile}`,
        },
      });
      expect(out.stdout).toContain(await remote.hash());
    } finally {
      await sshd.stop();
    }
  });
});
