import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoRepo, exampleAppDir, pushChange } from './demo-repo.js';
import { git } from './git.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the demo repository', () => {
  it('is seeded with the example app, and picked up again by a second run in the same --dir', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gitpaas-demo-repo-'));
    const first = await createDemoRepo(dir, await exampleAppDir());
    expect(await git(['ls-tree', '--name-only', 'main'], { cwd: first.bare })).toContain('server.js');
    const pushed = await pushChange(first, { 'message.txt': 'changed\n' }, 'Change');
    const again = await createDemoRepo(dir, await exampleAppDir());
    expect(again.head).toBe(pushed);
    expect(await git(['rev-parse', 'main'], { cwd: again.bare })).toBe(pushed);
  });
});
