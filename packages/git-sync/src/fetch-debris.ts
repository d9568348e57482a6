import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Lock files git takes at the top of the repository while fetching (shallow.lock wedges every later fetch). */
const FETCH_LOCKS = [
  'shallow.lock',
  'FETCH_HEAD.lock',
  'packed-refs.lock',
  'HEAD.lock',
  'config.lock',
  'index.lock',
];

/**
 * Removes what a fetch that failed or was killed leaves in the repository: half-written loose
 * objects (`objects/xx/tmp_obj_*`), packs and indexes (`objects/pack/tmp_*`, `.tmp-*`), quarantine
 * directories, and its lock files. After ENOSPC these hold the space a smaller revision needs.
 * Only called when no git runs in the repository (git-sync runs one command at a time).
 */
export async function removeFetchDebris(gitDir: string): Promise<string[]> {
  const removed: string[] = [];
  const drop = async (path: string) => {
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  };
  const objects = join(gitDir, 'objects');
  for (const entry of await list(objects)) {
    if (entry.startsWith('incoming-') || entry.startsWith('tmp_')) await drop(join(objects, entry));
    else if (/^[0-9a-f]{2}$/.test(entry)) {
      for (const name of await list(join(objects, entry))) {
        if (name.startsWith('tmp_')) await drop(join(objects, entry, name));
      }
    }
  }
  for (const name of await list(join(objects, 'pack'))) {
    if (name.startsWith('tmp_') || name.startsWith('.tmp-')) await drop(join(objects, 'pack', name));
  }
  const top = new Set(await list(gitDir));
  for (const lock of FETCH_LOCKS) if (top.has(lock)) await drop(join(gitDir, lock));
  return removed;
}

async function list(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}
