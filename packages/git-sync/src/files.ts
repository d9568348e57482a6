import { mkdir, open, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';

/** --touch-file and --error-file are absolute or relative to --root. */
export function rootPath(root: string, path: string): string {
  return isAbsolute(path) ? path : resolve(root, path);
}

/** Creates the file if needed and sets its mtime to now (consumers watch it for "a sync happened"). */
export async function touch(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const now = new Date();
  try {
    await utimes(path, now, now);
  } catch {
    await (await open(path, 'a')).close();
  }
}

/** kubernetes/git-sync's error file shape: `{"Msg","Err","Args"}`, written whole (temp + rename). */
export async function writeErrorFile(
  path: string,
  msg: string,
  err: string,
  args: Record<string, unknown>,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, JSON.stringify({ Msg: msg, Err: err, Args: args }));
  await rename(temp, path);
}

export async function removeErrorFile(path: string): Promise<void> {
  await rm(path, { force: true });
}
