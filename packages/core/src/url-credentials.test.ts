import { describe, expect, it } from 'vitest';
import { splitUrlCredentials } from './url-credentials.js';

describe('splitUrlCredentials', () => {
  it('takes user and password out of an http(s) URL, decoded', () => {
    expect(splitUrlCredentials('https://deploy:p%40ss@git.example.com/org/app.git')).toEqual({
      url: 'https://git.example.com/org/app.git',
      username: 'deploy',
      password: 'p@ss',
      secret: 'p@ss',
    });
  });

  it('treats a lone user part of an http(s) URL as the token it usually is', () => {
    expect(splitUrlCredentials('https://ghp_abc123@github.com/org/app')).toEqual({
      url: 'https://github.com/org/app',
      username: 'ghp_abc123',
      password: '',
      secret: 'ghp_abc123',
    });
  });

  it('leaves ssh URLs, scp-like addresses, paths and URLs without credentials alone', () => {
    for (const repo of [
      'ssh://git@host/x.git',
      'git@github.com:org/app.git',
      '/srv/app.git',
      'https://host/x.git',
      'file:///srv/x',
    ]) {
      expect(splitUrlCredentials(repo)).toEqual({ url: repo });
    }
  });
});
