import { lstat, mkdir, readdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A directory of things a hostile input must not touch: files, a directory, a symlink. `snapshot()`
 * lists everything under it (path, type, size, mtime, link target) to compare before and after.
 */
export class Decoy {
  private constructor(readonly dir: string) {}

  static async create(dir: string): Promise<Decoy> {
    await mkdir(join(dir, 'dir', 'sub'), { recursive: true });
    await writeFile(join(dir, 'notes.txt'), 'a file of the user\n');
    await writeFile(join(dir, 'dir', 'sub', 'data.bin'), 'data\n');
    await symlink('dir', join(dir, 'dir-link'));
    return new Decoy(dir);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** Everything under the decoy, one line each, sorted. */
  async snapshot(): Promise<string[]> {
    return snapshotOf(this.dir);
  }
}

/** Every entry under `dir` as `path type size mtime [-> target]`, sorted (a missing dir: nothing). */
export async function snapshotOf(dir: string, depth = 8): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (at: string, level: number) => {
    let names: string[];
    try {
      names = await readdir(at);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(at, name);
      const info = await lstat(path);
      const type = info.isSymbolicLink() ? 'link' : info.isDirectory() ? 'dir' : 'file';
      const target = info.isSymbolicLink() ? ` -> ${await readlink(path)}` : '';
      lines.push(`${path} ${type} ${info.isDirectory() ? '' : info.size} ${info.mtimeMs}${target}`);
      if (type === 'dir' && level < depth) await walk(path, level + 1);
    }
  };
  await walk(dir, 0);
  return lines.sort();
}
