import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git } from './git.js';
import { exists, shippedDir } from './shipped.js';

/** The example app shipped in the package: dist/examples/hello (copied there at build time). */
export function exampleAppDir(): Promise<string> {
  return shippedDir('examples/hello', 'server.js');
}

/** A bare repository seeded with the example app, and a clone of it the tour commits in. */
export interface DemoRepo {
  /** The bare repository `up` deploys from (what a user clones and pushes to). */
  bare: string;
  /** A working clone for the tour's commits. */
  clone: string;
  /** The commit main points at. */
  head: string;
}

/** Seeds a new bare repository with the app, or picks up the one a previous run left in `dir`. */
export async function createDemoRepo(dir: string, appDir: string): Promise<DemoRepo> {
  const bare = join(dir, 'hello.git');
  const clone = join(dir, 'tour');
  if (await exists(join(bare, 'HEAD'))) {
    if (!(await exists(join(clone, '.git')))) await git(['clone', '--quiet', bare, clone]);
    await git(['fetch', '--quiet', 'origin'], { cwd: clone });
    await git(['reset', '--quiet', '--hard', 'origin/main'], { cwd: clone });
  } else {
    await git(['init', '--quiet', '--bare', '--initial-branch=main', bare]);
    await git(['init', '--quiet', '--initial-branch=main', clone]);
    await cp(appDir, clone, { recursive: true });
    await git(['add', '--all'], { cwd: clone });
    await git(['commit', '--quiet', '-m', 'The example app'], { cwd: clone });
    await git(['remote', 'add', 'origin', bare], { cwd: clone });
    await git(['push', '--quiet', 'origin', 'main'], { cwd: clone });
  }
  return { bare, clone, head: await git(['rev-parse', 'HEAD'], { cwd: clone }) };
}

/** Writes files in the clone, commits and pushes them; returns the new commit hash. */
export async function pushChange(
  repo: DemoRepo,
  files: Record<string, string | ((before: string) => string)>,
  message: string,
): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    const path = join(repo.clone, name);
    const text = typeof content === 'function' ? content(await readFile(path, 'utf8')) : content;
    await writeFile(path, text);
  }
  await git(['commit', '--quiet', '--all', '-m', message], { cwd: repo.clone });
  await git(['push', '--quiet', 'origin', 'main'], { cwd: repo.clone });
  return git(['rev-parse', 'HEAD'], { cwd: repo.clone });
}

/** Reverts the last commit and pushes; returns the new commit hash. */
export async function pushRevert(repo: DemoRepo): Promise<string> {
  await git(['revert', '--no-edit', 'HEAD'], { cwd: repo.clone });
  await git(['push', '--quiet', 'origin', 'main'], { cwd: repo.clone });
  return git(['rev-parse', 'HEAD'], { cwd: repo.clone });
}
