// The benches' remote: examples/hello (as the CLI's build ships it) committed in a clone and pushed
// to a bare repository, as a user's repository would be.
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { git } from '@gitpaas/test-utils';

const hello = fileURLToPath(new URL('../dist/examples/hello/', import.meta.url));

/** `bare` to sync from, `clone` to push from (branch main, one commit). */
export async function helloRemote(dir) {
  const bare = join(dir, 'app.git');
  const clone = join(dir, 'work');
  await git(dir, 'init', '-q', '--bare', '--initial-branch=main', bare);
  await git(dir, 'init', '-q', '--initial-branch=main', clone);
  await cp(hello, clone, { recursive: true });
  await git(clone, 'add', '-A');
  await git(clone, 'commit', '-qm', 'seed');
  await git(clone, 'remote', 'add', 'origin', bare);
  await git(clone, 'push', '-q', 'origin', 'main');
  return { bare, clone };
}
