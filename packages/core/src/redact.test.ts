import { describe, expect, it } from 'vitest';
import { Redactor } from './redact.js';

describe('Redactor', () => {
  it('strips credentials from any URL in text, keeping ssh user names', () => {
    const r = new Redactor();
    expect(r.redact('fetch https://user:p%40ss@host/x failed')).toBe(
      'fetch https://user:REDACTED@host/x failed',
    );
    expect(r.redact('https://ghp_token123@github.com/org/repo')).toBe('https://REDACTED@github.com/org/repo');
    expect(r.redact('ssh://git@host:22/repo')).toBe('ssh://git@host:22/repo');
  });

  it('removes registered secrets in raw, URL-encoded and basic-auth forms, wherever they appear', () => {
    const r = new Redactor();
    r.addUrl('https://deploy:s3cr%2Ft@host/repo');
    r.addBasicAuth('deploy', 'hunter22');
    const basic = Buffer.from('deploy:hunter22').toString('base64');
    expect(r.redact('s3cr/t and s3cr%2Ft and hunter22 and Basic ' + basic)).toBe(
      'REDACTED and REDACTED and REDACTED and Basic REDACTED',
    );
    expect(r.redactValue({ a: ['x hunter22'], n: 1, nested: { s: 's3cr/t' } })).toEqual({
      a: ['x REDACTED'],
      n: 1,
      nested: { s: 'REDACTED' },
    });
  });
});
