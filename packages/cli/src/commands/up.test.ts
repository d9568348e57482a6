import { describe, expect, it } from 'vitest';
import { listenAddress } from './up.js';

describe('the address up prints', () => {
  it('gives a URL that works here for a wildcard host, and says it listens on every interface', () => {
    expect(listenAddress('0.0.0.0', 8080)).toBe(
      'http://127.0.0.1:8080 (listening on 0.0.0.0:8080, every interface)',
    );
    expect(listenAddress('::', 3000)).toBe('http://127.0.0.1:3000 (listening on [::]:3000, every interface)');
  });

  it('gives the host as it is otherwise', () => {
    expect(listenAddress('127.0.0.1', 8080)).toBe('http://127.0.0.1:8080');
    expect(listenAddress('::1', 8080)).toBe('http://[::1]:8080');
  });
});
