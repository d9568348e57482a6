import { describe, expect, it } from 'vitest';
import { parseGitConfig, resolveOptions } from './config.js';
import { defaultLinkName } from './layout.js';

describe('options', () => {
  it('defaults the link to the last path element of --repo as written', () => {
    expect(defaultLinkName('https://github.com/org/project.git')).toBe('project.git');
    expect(defaultLinkName('https://github.com/org/project/')).toBe('project');
    expect(defaultLinkName('git@github.com:org/app.git')).toBe('app.git');
    expect(defaultLinkName('/srv/git/site')).toBe('site');
  });

  it("uses kubernetes/git-sync's defaults", () => {
    expect(resolveOptions({ repo: 'file:///r', root: '/tmp/r' })).toMatchObject({
      ref: 'HEAD',
      period: 10_000,
      syncTimeout: 120_000,
      depth: 1,
      maxFailures: 0,
      maxSyncBackoff: 0,
      submodules: 'recursive',
      staleWorktreeTimeout: 0,
      gitGc: 'always',
      sshKnownHosts: true,
      link: 'r',
    });
  });

  it('rejects a link that collides with git-sync files', () => {
    for (const link of [
      '.git',
      '.git/',
      './.git',
      'a/../.git',
      '.git/HEAD',
      '.worktrees',
      '.worktrees/x',
      '.',
      './',
      '',
      '/tmp/r',
      '/tmp/r/.git/x',
    ]) {
      expect(() => resolveOptions({ repo: 'file:///r', root: '/tmp/r', link }), link).toThrow(
        /^--link .* would collide with git-sync's own files in --root/,
      );
    }
    for (const link of ['app', '.gitx', 'a/.git', '../app', '/srv/app']) {
      expect(resolveOptions({ repo: 'file:///r', root: '/tmp/r', link }).link).toBe(link);
    }
  });

  it("parses --git-config's key:value list with quotes", () => {
    expect(parseGitConfig('a.b:c, "x.y":"1,2:3",http.extraHeader:"Authorization: x"')).toEqual([
      ['a.b', 'c'],
      ['x.y', '1,2:3'],
      ['http.extraHeader', 'Authorization: x'],
    ]);
  });

  it('checks the hook, trigger and signal flags as kubernetes/git-sync does', () => {
    const base = { repo: 'file:///r', root: '/tmp/r' };
    const webhook = { ...base, webhookUrl: 'http://127.0.0.1:9/hook' };
    expect(resolveOptions({ ...webhook, webhookSuccessStatus: -1 }).webhookSuccessStatus).toBe(0);
    expect(() => resolveOptions({ ...webhook, webhookSuccessStatus: -2 })).toThrow(
      /--webhook-success-status/,
    );
    expect(() => resolveOptions({ ...base, webhookUrl: 'ftp://x/y' })).toThrow(
      /--webhook-url must be an http/,
    );
    expect(() => resolveOptions({ ...webhook, webhookBackoff: 500 })).toThrow(
      /--webhook-backoff: 500ms is too small, use at least 1s/,
    );
    expect(() => resolveOptions({ ...base, exechookCommand: '/bin/true', exechookTimeout: 10 })).toThrow(
      /--exechook-timeout: 10ms is too small, use at least 1s/,
    );
    expect(() => resolveOptions({ ...base, prePublishExechookCommand: ' ' })).toThrow(
      /--pre-publish-exechook-command must name a program/,
    );
    expect(resolveOptions({ ...base, syncOnSignal: 'hup' }).syncOnSignal).toBe('SIGHUP');
    expect(() => resolveOptions({ ...base, syncOnSignal: 'KILL' })).toThrow(/--sync-on-signal/);
    expect(resolveOptions(base)).toMatchObject({
      recycleWorktrees: true,
      exechookTimeout: 30_000,
      exechookBackoff: 3000,
      webhookMethod: 'POST',
      webhookSuccessStatus: 200,
      webhookTimeout: 1000,
      webhookBackoff: 3000,
      prePublishExechookTimeout: 30_000,
    });
  });
});
