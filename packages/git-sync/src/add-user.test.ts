import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from '../test/helpers/index.js';
import { addUser } from './add-user.js';

afterEach(removeTempDirs);

describe('--add-user', () => {
  it('adds a passwd entry for a UID that has none, and leaves an existing one alone', async () => {
    const passwd = join(await makeTempDir(), 'passwd');
    await writeFile(passwd, 'nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n');
    expect(await addUser(passwd)).toBe(true);
    const text = await readFile(passwd, 'utf8');
    expect(text).toContain(`git-sync:x:${process.getuid!()}:${process.getgid!()}:`);
    expect(await addUser(passwd)).toBe(false);
    expect(await readFile(passwd, 'utf8')).toBe(text);
  });
});
