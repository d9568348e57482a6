import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlagError, parseOptions, replaceOptionsBlock } from '@gitpaas/core';
import { describe, expect, it } from 'vitest';
import { options, resolveOptions, toReloaderOptions } from './options.js';

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

  it('rejects an empty command, a relative ready path and a bad --http-bind with a FlagError', () => {
    expect(() => parse(['--port', '1', '--', ''])).toThrow(FlagError);
    // No command at all is fine: it is detected for each release.
    expect(parse(['--port', '1']).command).toEqual([]);
    expect(() => parse(['--ready-path', 'up', '--', 'x'])).toThrow(/--ready-path: "up" must start with \//);
    expect(() => parse(['--http-bind', 'nope', '--', 'x'])).toThrow(/--http-bind: "nope" is not host:port/);
  });

  it('resolves library options once: defaults from the table filled in, its ranges checked', () => {
    const resolved = resolveOptions({ command: ['node', 'server.js'], readyTimeout: 1500 });
    expect(resolved).toMatchObject({
      readyTimeout: 1500,
      drainTimeout: 30_000,
      stopTimeout: 10_000,
      stopSignal: 'SIGTERM',
      waitTimeout: 300_000,
      poll: 0,
      ignore: ['.git', 'node_modules'],
      host: '0.0.0.0',
      cwd: process.cwd(),
      env: process.env,
    });
    expect(() => resolveOptions({ command: ['x'], drainTimeout: -1 })).toThrow(
      /^--drain-timeout: -1ms is too small/,
    );
    expect(() => resolveOptions({ command: ['x'], port: 70_000 })).toThrow(FlagError);
    // No command is not an error: it is detected for each release.
    expect(resolveOptions({}).command).toEqual([]);
  });

  it('has a current options table in the README', async () => {
    const readme = await readFile(join(fileURLToPath(import.meta.url), '..', '..', 'README.md'), 'utf8');
    expect(replaceOptionsBlock(readme, options)).toBe(readme);
  });
});
