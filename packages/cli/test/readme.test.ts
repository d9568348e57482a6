import { readFile } from 'node:fs/promises';
import { replaceOptionsBlock } from '@gitpaas/core';
import { describe, expect, it } from 'vitest';
import { options } from '../src/up-options.js';

describe('README', () => {
  it('carries the current `gitpaas up` options table (run pnpm docs after changing a flag)', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    expect(replaceOptionsBlock(readme, options)).toBe(readme);
  });
});
