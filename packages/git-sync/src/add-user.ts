import { appendFile, readFile } from 'node:fs/promises';
import { GitSyncError } from './errors.js';

/**
 * --add-user: ssh refuses to run for a UID without a passwd entry, which is what an arbitrary UID
 * in a container gets. Adds one (as kubernetes/git-sync does) unless the UID already has one.
 */
export async function addUser(passwd = '/etc/passwd'): Promise<boolean> {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid === undefined || gid === undefined) return false;
  const text = await readFile(passwd, 'utf8').catch(() => '');
  if (text.split('\n').some((line) => line.split(':')[2] === String(uid))) return false;
  const home = process.env.HOME || process.cwd();
  try {
    await appendFile(passwd, `git-sync:x:${uid}:${gid}::${home}:/sbin/nologin\n`);
  } catch (error) {
    throw new GitSyncError(
      'E_ADD_USER',
      `--add-user cannot append to ${passwd}: ${(error as NodeJS.ErrnoException).code ?? 'error'}; make it writable for this UID or drop --add-user`,
      { cause: error },
    );
  }
  return true;
}
