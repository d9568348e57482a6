#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
// Usage: gitpaas-options-doc README.md ./dist/options.js exportName [--check]
import { pathToFileURL } from 'node:url';
import { syncOptionsReadme } from './readme.js';
import { replaceOptionsBlock } from './render.js';
import type { OptionTable } from './spec.js';

const [readme, modulePath, exportName, mode] = process.argv.slice(2);
if (!readme || !modulePath || !exportName) {
  process.stderr.write('usage: gitpaas-options-doc README.md MODULE EXPORT [--check]\n');
  process.exit(2);
}
const table = (await import(pathToFileURL(resolve(modulePath)).href))[exportName] as OptionTable | undefined;
if (!table?.options) {
  process.stderr.write(`gitpaas-options-doc: ${modulePath} exports no option table named ${exportName}\n`);
  process.exit(2);
}
if (mode === '--check') {
  const text = await readFile(readme, 'utf8');
  if (replaceOptionsBlock(text, table) !== text) {
    process.stderr.write(`${readme}: options table is stale; run pnpm docs\n`);
    process.exit(1);
  }
} else {
  const changed = await syncOptionsReadme(readme, table);
  process.stdout.write(`${readme}: ${changed ? 'options table updated' : 'options table already current'}\n`);
}
