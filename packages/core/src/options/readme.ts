import { readFile, writeFile } from 'node:fs/promises';
import { replaceOptionsBlock } from './render.js';
import type { OptionTable } from './spec.js';

/** Rewrites the README's generated options block (the one named `name`); returns whether the file changed. */
export async function syncOptionsReadme(
  readmePath: string,
  table: OptionTable,
  name?: string,
): Promise<boolean> {
  const before = await readFile(readmePath, 'utf8');
  const after = replaceOptionsBlock(before, table, name);
  if (after !== before) await writeFile(readmePath, after);
  return after !== before;
}
