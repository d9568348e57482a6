import { readFile } from 'node:fs/promises';
import { replaceOptionsBlock } from '@gitpaas/core';
import { describe, expect, it } from 'vitest';
import { options } from './index.js';

describe('README', () => {
  it('has the current generated options table (run `pnpm run docs` to refresh it)', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    expect(replaceOptionsBlock(readme, options)).toBe(readme);
  });
});
