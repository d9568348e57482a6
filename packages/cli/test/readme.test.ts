import { readFile } from 'node:fs/promises';
import { replaceOptionsBlock } from '@gitpaas/core';
import { describe, expect, it } from 'vitest';
import { demoOptions } from '../src/commands/demo.js';
import { initOptions } from '../src/commands/init.js';
import { logsOptions } from '../src/commands/logs.js';
import { rollbackOptions } from '../src/commands/rollback.js';
import { statusOptions } from '../src/commands/status.js';
import { options } from '../src/up-options.js';

describe('README', () => {
  it.each([
    ['up', options, undefined],
    ['demo', demoOptions, 'demo'],
    ['status', statusOptions, 'status'],
    ['init', initOptions, 'init'],
    ['rollback', rollbackOptions, 'rollback'],
    ['logs', logsOptions, 'logs'],
  ] as const)(
    'carries the current `gitpaas %s` options table (run `pnpm run docs` after changing a flag)',
    async (_, table, block) => {
      const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
      expect(replaceOptionsBlock(readme, table, block)).toBe(readme);
    },
  );
});
