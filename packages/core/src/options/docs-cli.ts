#!/usr/bin/env node
// Usage: gitpaas-options-doc README.md MODULE EXPORT[:BLOCK]… [--check]
// Each EXPORT is an option table exported by MODULE; :BLOCK names the README block it fills
// (<!-- options:start BLOCK … -->), the unnamed block without it.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { syncOptionsReadme } from './readme.js';
import { replaceOptionsBlock } from './render.js';
import type { OptionTable } from './spec.js';

const [readme, modulePath, ...rest] = process.argv.slice(2);
const check = rest.includes('--check');
const exports = rest.filter((arg) => arg !== '--check');
if (!readme || !modulePath || exports.length === 0) {
  process.stderr.write('usage: gitpaas-options-doc README.md MODULE EXPORT[:BLOCK]… [--check]\n');
  process.exit(2);
}
const module = await import(pathToFileURL(resolve(modulePath)).href);
for (const spec of exports) {
  const [exportName = '', block] = spec.split(':');
  const table = module[exportName] as OptionTable | undefined;
  if (!table?.options) {
    process.stderr.write(`gitpaas-options-doc: ${modulePath} exports no option table named ${exportName}\n`);
    process.exit(2);
  }
  const what = block ? `options table "${block}"` : 'options table';
  if (check) {
    const text = await readFile(readme, 'utf8');
    if (replaceOptionsBlock(text, table, block) !== text) {
      process.stderr.write(`${readme}: ${what} is stale; run \`pnpm run docs\` at the repository root\n`);
      process.exit(1);
    }
  } else {
    const changed = await syncOptionsReadme(readme, table, block);
    process.stdout.write(`${readme}: ${what} ${changed ? 'updated' : 'already current'}\n`);
  }
}
