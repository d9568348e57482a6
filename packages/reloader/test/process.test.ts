import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createReloader, type Release, type Reloader } from '../src/index.js';
import { freePort } from '../src/port.js';
import {
  APP,
  BinProcess,
  get,
  hash,
  isAlive,
  Layout,
  NODE,
  pidsIn,
  removeDir,
  tempDir,
  waitFor,
} from './helpers.js';

let root: string | undefined;
let reloader: Reloader | undefined;
let bin: BinProcess | undefined;

afterEach(async () => {
  await reloader?.stop();
  reloader = undefined;
  await bin?.kill();
  bin = undefined;
  if (root) for (const pid of pidsIn(join(root, 'pids'))) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  await removeDir(root);
  root = undefined;
});

const TINI = ['/usr/bin/tini', '/sbin/tini', '/usr/local/bin/tini'].find((path) => existsSync(path));

describe('process hygiene', () => {
  it('leaves no grandchildren behind, neither of retired releases nor after stop', async () => {
    root = await tempDir();
    const layout = new Layout(root);
    const pidFile = join(root, 'pids');
    const switches: Release[] = [];
    reloader = createReloader({
      command: [NODE, APP],
      watch: layout.link,
      port: await freePort(),
      host: '127.0.0.1',
      drainTimeout: 1000,
      stopTimeout: 5000,
      env: { ...process.env, TEST_PID_FILE: pidFile },
    });
    reloader.on('switch', (release) => switches.push(release));
    await layout.add(hash('g1'), { grandchild: true });
    await layout.flip(hash('g1'));
    await reloader.start();
    await layout.add(hash('g2'), { grandchild: true });
    await layout.flip(hash('g2'));
    await waitFor(() => switches.length === 2, { message: 'the second release' });
    const first = pidsIn(pidFile).slice(0, 2);
    expect(first).toHaveLength(2);
    await waitFor(() => first.every((pid) => !isAlive(pid)), {
      message: 'the retired release and its grandchild gone',
    });

    const all = pidsIn(pidFile);
    expect(all).toHaveLength(4);
    await reloader.stop();
    reloader = undefined;
    expect(all.filter(isAlive)).toEqual([]);
  });

  it('kills a process group that ignores the stop signal after --stop-timeout', async () => {
    root = await tempDir();
    const layout = new Layout(root);
    const pidFile = join(root, 'pids');
    reloader = createReloader({
      command: [NODE, APP],
      watch: layout.link,
      port: await freePort(),
      host: '127.0.0.1',
      stopTimeout: 500,
      env: { ...process.env, TEST_PID_FILE: pidFile },
    });
    await layout.add(hash('stubborn'), { grandchild: true, ignoreTerm: true });
    await layout.flip(hash('stubborn'));
    await reloader.start();
    const pids = pidsIn(pidFile);
    expect(pids.filter(isAlive)).toHaveLength(2);
    await reloader.stop();
    reloader = undefined;
    expect(pids.filter(isAlive)).toEqual([]);
  });

  it('records a command that cannot be started as a failed release, and keeps retrying', async () => {
    root = await tempDir();
    const failed: Release[] = [];
    reloader = createReloader({ command: ['no-such-command-for-reloader-tests'], cwd: root });
    reloader.on('release', (release) => {
      if (release.outcome === 'failed') failed.push({ ...release });
    });
    await reloader.start();
    await waitFor(() => failed.length >= 2, { message: 'a retried start' });
    expect(failed[0]?.reason).toMatch(/^could not start the command: .*ENOENT/);
    expect(reloader.status().current).toBeNull();
  });

  it('stops everything within the grace when the bin gets SIGTERM', () => sigtermStopsAll(undefined));

  it('stops everything when its terminal closes (SIGHUP)', () => sigtermStopsAll(undefined, 'SIGHUP'));

  it.skipIf(!TINI)('stops everything within the grace when the bin runs under tini, as in the images', () =>
    sigtermStopsAll([TINI!, '-s', '--']),
  );
});

async function sigtermStopsAll(
  prefix: string[] | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  root = await tempDir();
  const layout = new Layout(root);
  const pidFile = join(root, 'pids');
  await layout.add(hash('term'), { grandchild: true, gracefulTerm: true });
  await layout.flip(hash('term'));
  const port = await freePort();
  bin = new BinProcess(
    [
      '--watch',
      layout.link,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--stop-timeout',
      '3s',
      '--',
      NODE,
      APP,
    ],
    { env: { TEST_PID_FILE: pidFile }, ...(prefix ? { prefix } : {}) },
  );
  await waitFor(async () => (await get(port).catch(() => ({ status: 0 }))).status === 200, {
    message: 'the app serving',
  });
  const pids = pidsIn(pidFile);
  expect(pids.filter(isAlive)).toHaveLength(2);
  bin.child.kill(signal);
  // The grace is --stop-timeout (3 s); the deadline is generous for a loaded machine.
  const exit = await waitFor(() => (bin?.running ? null : bin?.exited), {
    timeout: 15_000,
    message: 'the bin to exit',
  });
  // The app exits 0 on SIGTERM, and the reloader exits with the app's status.
  expect(await exit).toEqual({ code: 0, signal: null });
  // The app's own grandchild is not in its SIGTERM handler: the group signal reaches it.
  await waitFor(() => pids.every((pid) => !isAlive(pid)), { timeout: 5000, message: 'every process gone' });
  expect(bin.stderr).toContain(`${signal}: stopping`);
}
