import { mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeTempDirs } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { layoutFor } from './layout.js';
import { publish } from './publish.js';

const HASH = 'a'.repeat(40);

afterEach(removeTempDirs);

describe('publish', () => {
  it('replaces its own link', async () => {
    const dir = await makeTempDir();
    const layout = layoutFor(join(dir, 'root'), 'app');
    await mkdir(layout.root, { recursive: true });
    await symlink('.worktrees/old', layout.link);
    await publish(layout, HASH);
    expect(await readlink(layout.link)).toBe(`.worktrees/${HASH}`);
  });

  it('keeps a regular file at --link (outside --root) and says so, instead of replacing it', async () => {
    const dir = await makeTempDir();
    const layout = layoutFor(join(dir, 'root'), join(dir, 'elsewhere', 'notes.txt'));
    await mkdir(join(dir, 'elsewhere'), { recursive: true });
    await mkdir(layout.root, { recursive: true });
    await writeFile(layout.link, 'a file of the user\n');
    await expect(publish(layout, HASH)).rejects.toMatchObject({
      code: 'E_PUBLISH',
      message: expect.stringMatching(/notes\.txt: it exists and is not a symlink/),
    });
    expect(await readFile(layout.link, 'utf8')).toBe('a file of the user\n');
  });
});
