import { describe, expect, it } from 'vitest';
import { appNameFromRepo, initFiles } from './init-files.js';

describe('init files', () => {
  it.each([
    ['https://github.com/you/My_Shop.git', 'my-shop'],
    ['git@github.com:you/api.git', 'api'],
    ['file:///srv/repos/hello.git/', 'hello'],
    ['https://example.invalid/1password', 'app-1password'],
  ])('names the app after the repository: %s → %s', (repo, name) => {
    expect(appNameFromRepo(repo)).toBe(name);
  });

  it('names the intended published images and says they are the intended names', () => {
    const files = initFiles({
      repo: 'r',
      ref: 'main',
      name: 'x',
      port: 3000,
      command: 'npm start',
      tag: '0.1.0',
    });
    const compose = files.find((file) => file.path === 'compose.yaml')!.content;
    expect(compose).toContain('ghcr.io/gitpaas/git-sync:0.1.0');
    expect(compose).toContain('ghcr.io/gitpaas/app:0.1.0');
    expect(compose).toContain('intended published image names');
  });
});
