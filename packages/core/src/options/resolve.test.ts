import { describe, expect, expectTypeOf, it } from 'vitest';
import { resolveValues } from './resolve.js';
import { defineOptions, type OptionValues, type ResolvedValues } from './spec.js';

const table = defineOptions({
  envPrefixes: ['X_'],
  options: [
    { name: 'repo', type: 'string', help: 'r' },
    { name: 'sync-timeout', type: 'duration', default: 120_000, min: 10, help: 't' },
    {
      name: 'submodules',
      type: 'enum',
      choices: ['recursive', 'shallow', 'off'],
      default: 'recursive',
      help: 's',
    },
    { name: 'one-time', type: 'bool', default: false, help: 'o' },
    { name: 'ignore', type: 'list', default: ['.git'], help: 'i' },
    { name: 'depth', type: 'int', min: 0, help: 'd' },
  ],
});

describe('option types inferred from the table', () => {
  it('types each option by its kind, with defaults making it present', () => {
    expectTypeOf<OptionValues<typeof table>>().toEqualTypeOf<{
      repo?: string;
      syncTimeout?: number;
      submodules?: 'recursive' | 'shallow' | 'off';
      oneTime?: boolean;
      ignore?: string[];
      depth?: number;
    }>();
    const resolved = resolveValues(table, { repo: 'x' });
    expectTypeOf(resolved.syncTimeout).toEqualTypeOf<number>();
    expectTypeOf(resolved.depth).toEqualTypeOf<number | undefined>();
    expectTypeOf<ResolvedValues<typeof table>['submodules']>().toEqualTypeOf<
      'recursive' | 'shallow' | 'off'
    >();
  });
});

describe('resolveValues', () => {
  it('fills defaults from the table (or the caller’s), keeping what was given and unknown keys', () => {
    const resolved = resolveValues(table, { repo: 'x', depth: 3, extra: 1 } as never, { oneTime: true });
    expect(resolved).toEqual({
      repo: 'x',
      depth: 3,
      extra: 1,
      syncTimeout: 120_000,
      submodules: 'recursive',
      oneTime: true,
      ignore: ['.git'],
    });
    // a default list is copied, so a caller changing it does not change the table
    resolved.ignore.push('y');
    expect(resolveValues(table, {}).ignore).toEqual(['.git']);
  });

  it('checks given values against the same rules as the flag parser, naming the flag', () => {
    expect(() => resolveValues(table, { syncTimeout: 5 })).toThrow(
      '--sync-timeout: 5ms is too small, use at least 10ms',
    );
    expect(() => resolveValues(table, { depth: 1.5 })).toThrow('--depth: 1.5 is not a whole number');
    expect(() => resolveValues(table, { submodules: 'all' as never })).toThrow(
      '--submodules: "all" is not one of recursive, shallow, off',
    );
    expect(() => resolveValues(table, { oneTime: 'yes' as never })).toThrow(
      /--one-time: .* is not true or false/,
    );
  });
});
