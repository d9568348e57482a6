import { existsSync } from 'node:fs';
import { envNames, isGitpaasSetting, parseOptions } from '@gitpaas/core';
import { describe, expect, it } from 'vitest';
import { options, toUpConfig } from '../src/up-options.js';

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseOptions(options, { argv, env });

describe('the options of gitpaas up', () => {
  it('keep the flag and env names of git-sync and the reloader, each flag once', () => {
    const names = options.options.map((spec) => spec.name);
    expect(new Set(names).size).toBe(names.length);
    const env = (name: string) => envNames(options, options.options.find((spec) => spec.name === name)!);
    expect(env('repo')).toEqual(['GITSYNC_REPO', 'GIT_SYNC_REPO']);
    expect(env('ready-path')).toEqual(['GITPAAS_READY_PATH']);
    expect(env('http-bind')).toEqual(['GITPAAS_HTTP_BIND', 'GITSYNC_HTTP_BIND', 'GIT_SYNC_HTTP_BIND']);
    expect(names).not.toContain('watch');
    expect(names).not.toContain('one-time');
  });

  it('are all kept from the app, its build and the hooks: each env name is a setting userEnvironment drops', () => {
    const names = options.options.flatMap((spec) => envNames(options, spec));
    expect(names).toContain('GIT_SSH_KEY_FILE');
    expect(names.filter((name) => !isGitpaasSetting(name))).toEqual([]);
  });

  it('default to what a PaaS needs: retry forever with backoff, a public port, one HTTP server', () => {
    const config = toUpConfig(parse(['--repo=file:///srv/app.git', '--', 'node', 'server.js']), {}, '/work');
    expect(config.sync.maxFailures).toBe(-1);
    expect(config.sync.maxSyncBackoff).toBeGreaterThan(0);
    expect(config.reloader.port).toBe(8080);
    expect(config.reloader.waitTimeout).toBe(0);
    expect(config.httpBind).toBe('127.0.0.1:8081');
    expect(config.reloader.command).toEqual(['node', 'server.js']);
  });

  it('keep old worktrees longer than a handoff can take, unless told otherwise', () => {
    const argv = ['--repo=file:///a.git', '--ready-timeout=20s', '--drain-timeout=40s', '--stop-timeout=5s'];
    const config = toUpConfig(parse([...argv, '--', 'x']), {}, '/w');
    expect(config.sync.staleWorktreeTimeout).toBeGreaterThanOrEqual(65_000);
    const explicit = toUpConfig(parse([...argv, '--stale-worktree-timeout=2m', '--', 'x']), {}, '/w');
    expect(explicit.sync.staleWorktreeTimeout).toBe(120_000);
  });

  it('read the same env names as the two bins', () => {
    const config = toUpConfig(
      parse(['--', 'x'], { GITSYNC_REPO: 'file:///b.git', GITSYNC_PERIOD: '3s', GITPAAS_PORT: '3000' }),
      {},
      '/w',
    );
    expect(config.sync.repo).toBe('file:///b.git');
    expect(config.sync.period).toBe(3000);
    expect(config.reloader.port).toBe(3000);
  });

  it('put the root under the user state dir by default and the ledger beside it', () => {
    const config = toUpConfig(
      parse(['--repo=https://git.example.invalid/team/shop.git', '--', 'x']),
      { XDG_STATE_HOME: '/state' },
      '/w',
    );
    expect(config.sync.root).toBe('/state/gitpaas/shop');
    expect(config.reloader.stateDir).toBe('/state/gitpaas/shop.state');
    const rooted = toUpConfig(parse(['--repo=file:///a.git', '--root=srv', '--', 'x']), {}, '/w');
    expect(rooted.sync.root).toBe('/w/srv');
  });

  const containerKnownHosts = existsSync('/etc/git-secret/known_hosts')
    ? ' (skipped: /etc/git-secret/known_hosts exists on this machine, so it is the one used)'
    : '';
  it.skipIf(containerKnownHosts)(
    `check ssh hosts against the user's known_hosts when the container default is absent${containerKnownHosts}`,
    () => {
      const argv = ['--repo=git@git.example.invalid:you/app.git'];
      const config = toUpConfig(parse([...argv, '--', 'x']), { HOME: '/home/u' }, '/w');
      expect(config.sync.sshKnownHostsFile).toBe('/home/u/.ssh/known_hosts');
      expect(config.sync.sshKnownHosts).toBe(true);
      const explicit = toUpConfig(
        parse([...argv, '--ssh-known-hosts-file=/etc/hosts.known', '--', 'x']),
        { HOME: '/home/u' },
        '/w',
      );
      expect(explicit.sync.sshKnownHostsFile).toBe('/etc/hosts.known');
    },
  );

  it('pass --trigger-fanout to git-sync, which needs the trigger secret the replicas share', () => {
    const argv = ['--repo=file:///a.git', '--trigger-fanout=gitpaas-sync:8081'];
    expect(() => toUpConfig(parse([...argv, '--', 'x']), {}, '/w')).toThrow(
      /--trigger-fanout needs --trigger-secret-file/,
    );
    const config = toUpConfig(
      parse([...argv, '--', 'x'], { GITSYNC_TRIGGER_SECRET_FILE: '/etc/gitpaas-trigger/secret' }),
      {},
      '/w',
    );
    expect(config.sync.triggerFanout).toEqual(['gitpaas-sync:8081']);
    const fromEnv = toUpConfig(
      parse(['--', 'x'], {
        GITSYNC_REPO: 'file:///a.git',
        GITSYNC_TRIGGER_SECRET_FILE: '/s',
        GITSYNC_TRIGGER_FANOUT: 'a:8081,b:8081',
      }),
      {},
      '/w',
    );
    expect(fromEnv.sync.triggerFanout).toEqual(['a:8081', 'b:8081']);
  });

  it('say which flag is missing', () => {
    expect(() => toUpConfig(parse(['--', 'x']), {}, '/w')).toThrow(/--repo is required/);
    // No command: each release's is detected (Procfile, package.json, *.csproj).
    expect(toUpConfig(parse(['--repo=file:///a.git']), {}, '/w').reloader.command).toEqual([]);
  });
});
