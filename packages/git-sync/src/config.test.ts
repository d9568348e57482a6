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
    expect(() => resolveOptions({ repo: 'file:///r', root: '/tmp/r', link: '.git' })).toThrow(/--link/);
  });

  it("parses --git-config's key:value list with quotes", () => {
    expect(parseGitConfig('a.b:c, "x.y":"1,2:3",http.extraHeader:"Authorization: x"')).toEqual([
      ['a.b', 'c'],
      ['x.y', '1,2:3'],
      ['http.extraHeader', 'Authorization: x'],
    ]);
  });
});
