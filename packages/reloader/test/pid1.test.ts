import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { descendantsOf, type ProcessInfo, processTable } from '@gitpaas/core';
import { freePort, makeTempDir, removeTempDirs, waitFor } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { APP, BinProcess, get, hash, Layout } from './helpers.js';

// A new PID namespace makes the bin PID 1, as in a container without an init.
const canBePid1 = spawnSync('unshare', ['-pf', '--mount-proc', 'true']).status === 0;
const tiniDir = ['/usr/bin', '/sbin', '/usr/local/bin'].find((dir) => existsSync(join(dir, 'tini')));
const ORPHANS = 6;

let bin: BinProcess | undefined;

afterEach(async () => {
  // unshare ignores SIGTERM while it waits: stop the namespace's PID 1 (the bin) itself
  const pid1 = bin?.running ? processTable().find((proc) => proc.ppid === bin?.child.pid) : undefined;
  if (pid1) process.kill(pid1.pid, 'SIGTERM');
  await bin?.kill();
  bin = undefined;
  await removeTempDirs();
});

/** Runs the bin as PID 1 with an app that leaves orphans; returns the zombies left once they exited. */
async function zombiesAsPid1(path: string): Promise<ProcessInfo[]> {
  const root = await makeTempDir('reloader-test-');
  const layout = new Layout(root);
  await layout.add(hash('pid1'), { orphans: ORPHANS });
  await layout.flip(hash('pid1'));
  const port = await freePort();
  bin = new BinProcess(
    ['--watch', layout.link, '--port', String(port), '--host', '127.0.0.1', '--', process.execPath, APP],
    {
      env: { PATH: path },
      prefix: ['/usr/bin/unshare', '-pf', '--mount-proc', '--kill-child=SIGTERM'],
    },
  );
  await waitFor(async () => (await get(port).catch(() => ({ status: 0 }))).status === 200, {
    message: 'the app serving',
  }).catch((error) => {
    throw new Error(`${error.message}\n${bin?.stderr}\n${bin?.stdout}`);
  });
  const sleeping = () => descendantsOf(bin!.child.pid!).filter((proc) => proc.comm === 'sleep');
  // every orphan has exited: it is either reaped (gone) or a zombie
  await waitFor(() => sleeping().every((proc) => proc.state === 'Z'), { message: 'the orphans to exit' });
  return sleeping();
}

const pid1Missing = !canBePid1
  ? ' (skipped: unshare cannot make a PID namespace on this machine)'
  : !tiniDir
    ? ' (skipped: tini is not installed)'
    : '';

describe.skipIf(pid1Missing)(`as PID 1${pid1Missing}`, () => {
  it('reaps the orphans of the app by handing over to tini', async () => {
    expect(await zombiesAsPid1(`${tiniDir}:/usr/bin:/bin`)).toEqual([]);
    expect(bin!.stderr).not.toContain('will not be reaped');
  });

  it('warns, and the orphans stay zombies, when no tini is on PATH (what the hand-over prevents)', async () => {
    const zombies = await zombiesAsPid1('/nonexistent');
    expect(zombies.length).toBe(ORPHANS);
    expect(bin!.stderr).toContain('will not be reaped');
  });
});
