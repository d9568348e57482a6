import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Detected, InstallStep } from './detect.js';
import { ReloaderError } from './errors.js';
import { exists } from './files.js';

interface PackageJson {
  main?: unknown;
  scripts?: Record<string, unknown>;
  dependencies?: Record<string, unknown>;
  optionalDependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
  packageManager?: unknown;
}

export type PackageManager = 'npm' | 'pnpm' | 'yarn';

/** Lockfiles in the order a buildpack looks for them, with the manager each one means. */
const LOCKFILES: ReadonlyArray<[string, PackageManager]> = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
];
/** Files that change what an install produces, besides package.json and the lockfile. */
const CONFIG_FILES = ['.npmrc', '.yarnrc', '.yarnrc.yml', 'pnpm-workspace.yaml'];
/** Entry points tried when package.json names neither a start script nor a main file. */
const ENTRY_FILES = ['server.js', 'app.js', 'index.js'];

const NO_NOISE = '--no-audit --no-fund';

function installCommand(manager: PackageManager, locked: boolean, production: boolean): string {
  if (manager === 'pnpm') return `corepack pnpm install --frozen-lockfile${production ? ' --prod' : ''}`;
  if (manager === 'yarn')
    return `corepack yarn install --frozen-lockfile${production ? ' --production' : ''}`;
  return `npm ${locked ? 'ci' : 'install'} ${NO_NOISE}${production ? ' --omit=dev' : ''}`;
}

function count(deps: Record<string, unknown> | undefined): number {
  return deps && typeof deps === 'object' ? Object.keys(deps).length : 0;
}

/**
 * A Node app, from package.json (the Heroku Node buildpack's rules): the lockfile's package
 * manager installs (dev dependencies too when there is a build script, which may need them),
 * the build script builds, and the start script, `main` or server.js/app.js/index.js starts.
 * Null when there is no package.json.
 */
export async function detectNode(dir: string): Promise<Detected | null> {
  let text: string;
  try {
    text = await readFile(join(dir, 'package.json'), 'utf8');
  } catch {
    return null;
  }
  let pkg: PackageJson;
  try {
    pkg = JSON.parse(text) as PackageJson;
  } catch (error) {
    throw new ReloaderError(
      'E_DETECT',
      `package.json is not valid JSON (${(error as Error).message}): fix it, or pass --build and the command`,
    );
  }
  const scripts = pkg.scripts && typeof pkg.scripts === 'object' ? pkg.scripts : {};
  const hasBuild = typeof scripts.build === 'string';
  const lock = await firstExisting(dir, LOCKFILES);
  const named = typeof pkg.packageManager === 'string' ? pkg.packageManager.split('@')[0] : undefined;
  const manager: PackageManager = lock?.[1] ?? (named === 'pnpm' || named === 'yarn' ? named : 'npm');
  const wanted =
    count(pkg.dependencies) + count(pkg.optionalDependencies) + (hasBuild ? count(pkg.devDependencies) : 0);

  let install: InstallStep | null = null;
  if (wanted > 0) {
    const keyFiles = ['package.json', ...(lock ? [lock[0]] : [])];
    for (const file of CONFIG_FILES) if (await exists(join(dir, file))) keyFiles.push(file);
    install = {
      command: installCommand(manager, Boolean(lock), !hasBuild),
      keyFiles,
      dirs: ['node_modules'],
      materialise: 'symlink',
      runtime: ['node', '--version'],
      ...(manager !== 'npm' ? { manager, fallback: installCommand('npm', false, !hasBuild) } : {}),
    };
  }
  const run = manager === 'npm' ? 'npm run' : `corepack ${manager} run`;
  return {
    stack: `node (${lock ? lock[0] : 'package.json, no lockfile'})`,
    install,
    build: hasBuild ? `${run} build` : null,
    start: await startOf(dir, scripts, pkg.main),
    warnings:
      install && !lock
        ? ['no lockfile: dependencies are resolved afresh (commit a lockfile for repeatable installs)']
        : [],
  };
}

async function firstExisting<T>(
  dir: string,
  list: ReadonlyArray<[string, T]>,
): Promise<[string, T] | undefined> {
  for (const entry of list) if (await exists(join(dir, entry[0]))) return entry;
  return undefined;
}

/**
 * A start script that is only `node <file> [plain arguments]`, with no prestart or poststart, as
 * its own argv: npm's start costs about 0.7 s of every deploy on a small machine, and signals
 * then reach the app itself. Anything else (shell syntax, other programs) goes through npm.
 */
function plainNodeStart(scripts: Record<string, unknown>): string[] | null {
  if (scripts.prestart !== undefined || scripts.poststart !== undefined) return null;
  const words = String(scripts.start).trim().split(/\s+/);
  if (words[0] !== 'node' || words.length < 2) return null;
  return words.every((word) => /^[\w./@=:,+-]+$/.test(word)) ? words : null;
}

async function startOf(
  dir: string,
  scripts: Record<string, unknown>,
  main: unknown,
): Promise<Detected['start']> {
  if (typeof scripts.start === 'string') {
    const direct = plainNodeStart(scripts);
    if (direct) return { command: direct, from: 'package.json scripts.start, without npm' };
    return { command: ['npm start'], from: 'package.json scripts.start' };
  }
  if (typeof main === 'string' && main && (await exists(join(dir, main)))) {
    return { command: ['node', main], from: 'package.json main' };
  }
  for (const file of ENTRY_FILES) {
    if (await exists(join(dir, file))) return { command: ['node', file], from: file };
  }
  return null;
}
