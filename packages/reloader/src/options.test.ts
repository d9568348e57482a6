import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlagError, parseOptions, replaceOptionsBlock } from '@gitpaas/core';
import { describe, expect, it } from 'vitest';
import { backoffMs, CRASH_BACKOFF } from './backoff.js';
import { options, parseBind, toReloaderOptions } from './options.js';

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const parsed = parseOptions(options, { argv, env });
  return toReloaderOptions(parsed.values, parsed.rest);
};

describe('options', () => {
  it('turns flags and GITPAAS_ env into ReloaderOptions with the documented defaults', () => {
    const result = parse(['--watch', '/git/app', '--ready-path', '/healthz', '--', 'node', 'server.js'], {
      GITPAAS_PORT: '8080',
      GITPAAS_DRAIN_TIMEOUT: '5s',
    });
    expect(result).toMatchObject({
      command: ['node', 'server.js'],
      watch: '/git/app',
      port: 8080,
      readyPath: '/healthz',
      drainTimeout: 5000,
      readyTimeout: 30_000,
      stopTimeout: 10_000,
      stopSignal: 'SIGTERM',
      debounce: 200,
      maxWait: 2000,
      ignore: ['.git', 'node_modules'],
      logFormat: 'pretty',
      host: '0.0.0.0',
    });
  });

  it('rejects a missing command, a relative ready path and a bad --http-bind with a FlagError', () => {
    expect(() => parse(['--port', '1'])).toThrow(FlagError);
    expect(() => parse(['--ready-path', 'up', '--', 'x'])).toThrow(/--ready-path: "up" must start with \//);
    expect(() => parse(['--http-bind', 'nope', '--', 'x'])).toThrow(/--http-bind: "nope" is not host:port/);
  });

  it('reads host:port binds', () => {
    expect(parseBind(':9090')).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(parseBind('127.0.0.1:9090')).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(parseBind('[::1]:9090')).toEqual({ host: '::1', port: 9090 });
  });

  it('backs off exponentially up to the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) =>
      backoffMs(n, CRASH_BACKOFF.baseMs, CRASH_BACKOFF.capMs),
    );
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
  });

  it('has a current options table in the README', async () => {
    const readme = await readFile(join(fileURLToPath(import.meta.url), '..', '..', 'README.md'), 'utf8');
    expect(replaceOptionsBlock(readme, options)).toBe(readme);
  });
});
