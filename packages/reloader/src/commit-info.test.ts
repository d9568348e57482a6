import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { git, makeTempDir, removeTempDirs } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Commits, commitUrl } from './commit-info.js';

afterEach(() => removeTempDirs());

describe('commitUrl', () => {
  const hash = 'a'.repeat(40);
  it('links commits on known forges, whatever the URL form', () => {
    expect(commitUrl('https://github.com/acme/app.git', hash)).toBe(
      `https://github.com/acme/app/commit/${hash}`,
    );
    expect(commitUrl('git@github.com:acme/app.git', hash)).toBe(`https://github.com/acme/app/commit/${hash}`);
    expect(commitUrl('ssh://git@gitlab.com/group/sub/app.git', hash)).toBe(
      `https://gitlab.com/group/sub/app/-/commit/${hash}`,
    );
    expect(commitUrl('https://codeberg.org/acme/app', hash)).toBe(
      `https://codeberg.org/acme/app/commit/${hash}`,
    );
    expect(commitUrl('https://bitbucket.org/acme/app.git', hash)).toBe(
      `https://bitbucket.org/acme/app/commits/${hash}`,
    );
  });

  it('links nothing for other hosts, local paths or no hash', () => {
    expect(commitUrl('https://git.example.com/acme/app.git', hash)).toBeNull();
    expect(commitUrl('file:///srv/app.git', hash)).toBeNull();
    expect(commitUrl('/srv/app.git', hash)).toBeNull();
    expect(commitUrl('https://github.com/acme/app.git', null)).toBeNull();
  });
});

describe('Commits', () => {
  it('reads a commit from its worktree, and from the repository once the worktree is gone', async () => {
    const root = await makeTempDir('reloader-commits-');
    await git(root, 'init', '-q', '-b', 'main');
    await git(root, 'commit', '-q', '--allow-empty', '-m', 'first: the subject');
    const first = await git(root, 'rev-parse', 'HEAD');
    await git(root, 'commit', '-q', '--allow-empty', '-m', 'second');
    const second = await git(root, 'rev-parse', 'HEAD');
    await mkdir(join(root, '.worktrees'));
    await git(root, 'worktree', 'add', '-q', '--detach', join(root, '.worktrees', second), second);
    const commits = new Commits();
    expect(await commits.of(second, join(root, '.worktrees', second))).toMatchObject({
      subject: 'second',
      author: 'test',
    });
    expect(await commits.of(first, join(root, '.worktrees', first))).toMatchObject({
      subject: 'first: the subject',
      date: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    await rm(join(root, '.worktrees'), { recursive: true });
    expect(await commits.of('f'.repeat(40), join(root, '.worktrees', 'f'.repeat(40)))).toBeNull();
    expect(await commits.of(null, root)).toBeNull();
  });
});
