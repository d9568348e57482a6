import { describe, expect, it } from 'vitest';
import { isGitpaasSetting, userEnvironment } from './user-env.js';

describe('userEnvironment', () => {
  it("drops gitpaas's own settings and git-sync's credential variables, keeps everything else", () => {
    const kept = {
      PATH: '/usr/bin',
      HOME: '/home/app',
      LANG: 'C.UTF-8',
      NODE_OPTIONS: '--max-old-space-size=256',
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/app',
      DEBUG: 'gitpaas:*',
      GIT_SSH_COMMAND: 'ssh -v',
    };
    const dropped = {
      GITSYNC_PASSWORD: 'pw',
      GITSYNC_REPO: 'https://u:pw@host/app.git',
      GIT_SYNC_PASSWORD: 'pw',
      GITSYNC_TRIGGER_SECRET_FILE: '/run/secrets/trigger',
      GITPAAS_PORT: '8080',
      GITPAAS_BUILD: 'npm ci',
      GIT_SSH_KEY_FILE: '/etc/git-secret/ssh',
      GIT_KNOWN_HOSTS: 'true',
      GIT_SSH_KNOWN_HOSTS_FILE: '/etc/git-secret/known_hosts',
    };
    expect(userEnvironment({ ...kept, ...dropped })).toEqual(kept);
  });

  it('matches names case-insensitively (Windows reads env names so), and only whole prefixes', () => {
    expect(isGitpaasSetting('gitsync_password')).toBe(true);
    expect(isGitpaasSetting('Git_Ssh_Key_File')).toBe(true);
    expect(isGitpaasSetting('GITSYNCX')).toBe(false);
    expect(isGitpaasSetting('MY_GITPAAS_NOTE')).toBe(false);
  });
});
