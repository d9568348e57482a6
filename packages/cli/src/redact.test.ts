import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact.js';

describe('redactUrl', () => {
  it('hides passwords and tokens in URLs and leaves the rest', () => {
    expect(redactUrl('https://bot:s3cret@git.example.invalid/a.git')).toBe(
      'https://bot:***@git.example.invalid/a.git',
    );
    expect(redactUrl('https://ghp_token@github.com/a.git')).toBe('https://***@github.com/a.git');
    expect(redactUrl('git@github.com:you/a.git')).toBe('git@github.com:you/a.git');
    expect(redactUrl('file:///srv/a.git')).toBe('file:///srv/a.git');
  });
});
