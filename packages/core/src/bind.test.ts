import { describe, expect, it } from 'vitest';
import { formatBind, parseBind } from './bind.js';

describe('parseBind', () => {
  it('reads host:port, [v6]:port and :port (every interface)', () => {
    expect(parseBind('127.0.0.1:8081')).toEqual({ host: '127.0.0.1', port: 8081 });
    expect(parseBind('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseBind('localhost:65535')).toEqual({ host: 'localhost', port: 65535 });
    expect(parseBind(':9090')).toEqual({ host: undefined, port: 9090 });
  });

  it('rejects a port out of range or a malformed address as a usage error naming the flag', () => {
    expect(() => parseBind(':70000', '--http-bind')).toThrow(
      expect.objectContaining({
        code: 'E_BAD_FLAG',
        exitCode: 2,
        message: expect.stringMatching(/^--http-bind: port 70000 is out of range/),
      }),
    );
    for (const bad of ['8080', 'host:', 'host:port', '::1:80', '', 'a b:80', ':-1']) {
      expect(() => parseBind(bad, '--status-bind'), bad).toThrow(/^--status-bind: ".*" is not host:port/);
    }
  });

  it('formats an address to reach, loopback for every-interface binds', () => {
    expect(formatBind(undefined, 80)).toBe('127.0.0.1:80');
    expect(formatBind('::1', 80)).toBe('[::1]:80');
    expect(formatBind('10.1.2.3', 80)).toBe('10.1.2.3:80');
  });
});
