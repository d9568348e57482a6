import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from './errors.js';

export function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * A directory of the monorepo that the build copies into dist/ (the example app, the reference
 * deployment files), so the CLI finds it installed from npm and run from its sources alike.
 * `probe` is a file the directory must hold.
 */
export async function shippedDir(path: string, probe: string): Promise<string> {
  const candidates = [
    // built: this module is a chunk in dist/
    fileURLToPath(new URL(`./${path}/`, import.meta.url)),
    // tests running the TypeScript sources: packages/cli/src → the monorepo root
    fileURLToPath(new URL(`../../../${path}/`, import.meta.url)),
  ];
  for (const dir of candidates) {
    if (await exists(join(dir, probe))) return dir;
  }
  throw new CliError(
    'E_INSTALL',
    `${path} is missing from this install: reinstall gitpaas (npm i -g gitpaas)`,
  );
}
