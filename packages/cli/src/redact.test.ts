import { describe, expect, it } from 'vitest';
import { redactUrl, scrub, secretsOf, withoutCredentials } from './redact.js';

describe('redactUrl', () => {
  it('hides passwords and tokens in URLs and leaves the rest', () => {
    expect(redactUrl('https://bot:s3cret@git.example.invalid/a.git')).toBe(
      'https://bot:***@git.example.invalid/a.git',
    );
    expect(redactUrl('https://ghp_token@github.com/a.git')).toBe('https://***@github.com/a.git');
    expect(redactUrl('git@github.com:you/a.git')).toBe('git@github.com:you/a.git');
    expect(redactUrl('file:///srv/a.git')).toBe('file:///srv/a.git');
  });

  it('finds the secrets of a sync configuration and scrubs them from served text', () => {
    expect(secretsOf({ repo: 'https://bot:s3cret@git.example.invalid/a.git' })).toEqual(['s3cret']);
    expect(secretsOf({ repo: 'https://ghp_token123@github.com/a.git' })).toEqual(['ghp_token123']);
    expect(secretsOf({ repo: 'git@github.com:you/a.git', password: 'hunter22' })).toEqual(['hunter22']);
    expect(scrub('x s3cret y s3cret', ['s3cret'])).toBe('x *** y ***');
  });

  it('takes the password or token out of a URL for files, and says so', () => {
    expect(withoutCredentials('https://bot:s3cret@git.example.invalid/a.git')).toEqual({
      url: 'https://git.example.invalid/a.git',
      stripped: true,
    });
    expect(withoutCredentials('https://ghp_token@github.com/a.git')).toEqual({
      url: 'https://github.com/a.git',
      stripped: true,
    });
    for (const repo of ['git@github.com:you/a.git', 'ssh://git@github.com/you/a.git', 'file:///srv/a.git']) {
      expect(withoutCredentials(repo)).toEqual({ url: repo, stripped: false });
    }
  });
});
