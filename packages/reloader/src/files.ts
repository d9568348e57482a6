import { access, chmod, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Takes the write bits off every file under `dir` (directories stay writable, so it can be removed). */
export async function makeFilesReadOnly(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await makeFilesReadOnly(path);
    else if (entry.isFile()) await chmod(path, (await lstat(path)).mode & 0o7555);
  }
}
