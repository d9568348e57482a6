import { describe, expect, it } from 'vitest';
import { FlagError } from './errors.js';
import { parseOptions } from './parse.js';
import { defineOptions } from './spec.js';

const table = defineOptions({
  envPrefixes: ['GITSYNC_', 'GIT_SYNC_'],
  options: [
    { name: 'repo', type: 'string', help: 'the repository' },
    { name: 'period', type: 'duration', default: 10_000, min: 10, help: 'how often' },
    { name: 'max-failures', type: 'int', default: 0, help: 'failures' },
    { name: 'depth', type: 'int', default: 1, min: 0, help: 'depth' },
    { name: 'one-time', type: 'bool', default: false, help: 'once' },
    {
      name: 'submodules',
      type: 'enum',
      choices: ['recursive', 'shallow', 'off'],
      default: 'recursive',
      help: 's',
    },
    { name: 'git-config', type: 'list', help: 'config' },
    { name: 'verbose', short: 'v', type: 'int', default: 0, help: 'verbosity' },
    { name: 'password', type: 'string', secret: true, help: 'pw' },
    { name: 'count', type: 'int', secret: true, help: 'secret number' },
  ],
});

function bad(argv: string[], env: Record<string, string> = {}): FlagError {
  try {
    parseOptions(table, { argv, env });
  } catch (error) {
    if (error instanceof FlagError) return error;
    throw error;
  }
  throw new Error('expected a FlagError');
}

describe('parseOptions', () => {
  it('fills defaults and converts types', () => {
    const { values, explicit } = parseOptions(table, {
      argv: ['--repo', 'file:///r', '--period=1m30s', '--one-time'],
    });
    expect(values).toMatchObject({
      repo: 'file:///r',
      period: 90_000,
      oneTime: true,
      depth: 1,
      submodules: 'recursive',
    });
    expect([...explicit].sort()).toEqual(['oneTime', 'period', 'repo']);
  });

  it('lets flags beat the env and reads legacy env names', () => {
    const env = { GITSYNC_PERIOD: '5s', GIT_SYNC_DEPTH: '3', GITSYNC_ONE_TIME: 'true' };
    const { values } = parseOptions(table, { argv: ['--period', '2s'], env });
    expect(values).toMatchObject({ period: 2000, depth: 3, oneTime: true });
  });

  it('accepts Go-style booleans and negative numbers', () => {
    const { values } = parseOptions(table, { argv: ['--one-time=false', '--max-failures', '-1', '-v', '5'] });
    expect(values).toMatchObject({ oneTime: false, maxFailures: -1, verbose: 5 });
  });

  it('collects repeated list flags and splits list env on commas', () => {
    expect(
      parseOptions(table, { argv: ['--git-config', 'a.b:c', '--git-config=d.e:f'] }).values.gitConfig,
    ).toEqual(['a.b:c', 'd.e:f']);
    expect(
      parseOptions(table, { argv: [], env: { GITSYNC_GIT_CONFIG: 'a.b:c, d.e:f' } }).values.gitConfig,
    ).toEqual(['a.b:c', 'd.e:f']);
  });

  it('keeps everything after -- untouched', () => {
    const parsed = parseOptions(table, { argv: ['--depth', '2', 'x', '--', 'node', '--depth', '9'] });
    expect(parsed.positionals).toEqual(['x']);
    expect(parsed.rest).toEqual(['node', '--depth', '9']);
    expect(parsed.values.depth).toBe(2);
  });

  it('replaces table defaults with caller defaults only when the user set nothing', () => {
    expect(parseOptions(table, { argv: [], defaults: { maxFailures: -1 } }).values.maxFailures).toBe(-1);
    expect(
      parseOptions(table, { argv: ['--max-failures=3'], defaults: { maxFailures: -1 } }).values.maxFailures,
    ).toBe(3);
  });

  it('rejects bad input with one line naming the flag', () => {
    expect(bad(['--nope']).message).toBe('unknown flag --nope: run with --help to see the flags');
    expect(bad(['--period', 'soon']).message).toMatch(/^--period: "soon" is not a duration/);
    expect(bad(['--period', '5ms']).message).toBe('--period: 5ms is too small, use at least 10ms');
    expect(bad(['--depth', '-1']).message).toBe('--depth: -1 is too small, use at least 0');
    expect(bad(['--submodules', 'all']).message).toBe(
      '--submodules: "all" is not one of recursive, shallow, off',
    );
    expect(bad(['--repo']).message).toBe('--repo needs a value: --repo=<string>');
    expect(bad(['--repo', '--depth', '1']).message).toMatch(/^--repo needs a value/);
    expect(bad([], { GITSYNC_DEPTH: 'x' }).message).toBe('GITSYNC_DEPTH: "x" is not a whole number');
    expect(bad(['--nope']).exitCode).toBe(2);
  });

  it('never echoes a secret value in an error', () => {
    expect(bad(['--count', 'hunter2']).message).not.toContain('hunter2');
  });
});
