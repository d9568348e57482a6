import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Submodules } from './config.js';
import type { Layout } from './layout.js';

/** The options that shape what a sync leaves on disk: history depth and submodule checkouts. */
export interface Shape {
  depth: number;
  submodules: Submodules;
}

/** What the first sync of a process must redo because the shape differs from the last run's. */
export interface Reshape {
  /** Fetch even a commit that is here: --depth grew (or became 0), so history must be deepened. */
  refetch: boolean;
  /** Check the published worktree's submodules out again (or remove them) for the new --submodules. */
  resubmodule: boolean;
}

/** Beside the repository's own files, read at start-up and written after the first success. */
const FILE = 'gitpaas-shape.json';

export async function readShape(layout: Layout): Promise<Shape | null> {
  try {
    const shape = JSON.parse(await readFile(join(layout.gitDir, FILE), 'utf8')) as Partial<Shape>;
    return typeof shape.depth === 'number' && typeof shape.submodules === 'string' ? (shape as Shape) : null;
  } catch {
    return null;
  }
}

export async function writeShape(layout: Layout, shape: Shape): Promise<void> {
  await writeFile(join(layout.gitDir, FILE), `${JSON.stringify(shape)}\n`);
}

/**
 * How a restart with other options must reshape what is on disk (kubernetes/git-sync refetches at
 * every start for this). A shallow repository is fetched again unless the last run had the same
 * --depth (a full one satisfies any depth); submodules are redone when the recorded mode differs.
 */
export function reshapeFor(layout: Layout, recorded: Shape | null, wanted: Shape): Reshape {
  const shallow = existsSync(join(layout.gitDir, 'shallow'));
  return {
    refetch: shallow && recorded?.depth !== wanted.depth,
    resubmodule: recorded !== null && recorded.submodules !== wanted.submodules,
  };
}
