import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readProcess } from '@gitpaas/core';
import { freePort, makeTempDir, waitFor } from '@gitpaas/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { createReloader, type Release } from '../src/index.js';
import { ReloaderHarness } from './harness.js';
import { APP, BinProcess, get, HOST, hash, isAlive, Layout, LIB, NODE, pidsIn } from './helpers.js';

const harness = new ReloaderHarness({});
/** Every pid file a test made, so no process of it outlives the test. */
const pidFiles: string[] = [];
let bin: BinProcess | undefined;

afterEach(async () => {
  await harness.reloader?.stop();
  await bin?.kill();
  bin = undefined;
  for (const pid of pidFiles.splice(0).flatMap(pidsIn)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  await harness.cleanUp();
});

const TINI = ['/usr/bin/tini', '/sbin/tini', '/usr/local/bin/tini'].find((path) => existsSync(path));
const noTini = TINI ? '' : ' (skipped: tini is not installed)';

describe('process hygiene', () => {
  it('leaves no grandchildren behind, neither of retired releases nor after stop', async () => {
    const { layout, pidFile, reloader, switches } = await harness.setUp({ drainTimeout: 1000 });
    pidFiles.push(pidFile);
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
    expect(all.filter(isAlive)).toEqual([]);
  });

  describe('stops the processes an app started outside its process group (setsid, detached, double fork)', () => {
    it('when its release is replaced', async () => {
      const { layout, pidFile, reloader, endedAs } = await harness.setUp({ drainTimeout: 500 });
      pidFiles.push(pidFile);
      await layout.add(hash('esc1'), { escapees: true });
      await layout.add(hash('esc2'));
      await layout.flip(hash('esc1'));
      await reloader.start();
      const escaped = await escapees(pidFile, 1);
      await layout.flip(hash('esc2'));
      await endedAs(hash('esc1'), 'retired');
      await waitFor(() => escaped.every((pid) => !isAlive(pid)), { message: 'every escapee gone' });
    });

    it('when the reloader stops', async () => {
      const { layout, pidFile, reloader } = await harness.setUp({});
      pidFiles.push(pidFile);
      await layout.add(hash('esc3'), { escapees: true });
      await layout.flip(hash('esc3'));
      await reloader.start();
      const escaped = await escapees(pidFile, 1);
      await reloader.stop();
      await waitFor(() => escaped.every((pid) => !isAlive(pid)), { message: 'every escapee gone' });
    });

    it('when the app crashes, before it is restarted', async () => {
      const { layout, pidFile, reloader } = await harness.setUp({});
      pidFiles.push(pidFile);
      await layout.add(hash('esc4'), { escapees: true, mode: 'crash' });
      await layout.flip(hash('esc4'));
      await reloader.start();
      const escaped = await escapees(pidFile, 1);
      // The crash is reported once what the crashed app left is stopped, before the restart.
      const leftAtCrash = new Promise<number[]>((resolve) =>
        reloader.once('crash', () => resolve(escaped.filter(isAlive))),
      );
      expect(await leftAtCrash).toEqual([]);
    });
  });

  it('kills a process group that ignores the stop signal after --stop-timeout', async () => {
    const { layout, pidFile, reloader } = await harness.setUp({ stopTimeout: 500 });
    pidFiles.push(pidFile);
    await layout.add(hash('stubborn'), { grandchild: true, ignoreTerm: true });
    await layout.flip(hash('stubborn'));
    await reloader.start();
    const pids = pidsIn(pidFile);
    expect(pids.filter(isAlive)).toHaveLength(2);
    const stopping = performance.now();
    await reloader.stop();
    const tookMs = performance.now() - stopping;
    expect(pids.filter(isAlive)).toEqual([]);
    // README: SIGKILL after --stop-timeout — not before the grace, and not long after it.
    expect(tookMs).toBeGreaterThanOrEqual(450);
    expect(tookMs).toBeLessThan(500 + 10_000);
  });

  it('records a command that cannot be started as a failed release, and keeps retrying', async () => {
    const failed: Release[] = [];
    const reloader = createReloader({
      command: ['no-such-command-for-reloader-tests'],
      cwd: await makeTempDir('reloader-test-'),
    });
    harness.reloader = reloader;
    reloader.on('release', (release) => {
      if (release.outcome === 'failed') failed.push({ ...release });
    });
    await reloader.start();
    await waitFor(() => failed.length >= 2, { message: 'a retried start' });
    expect(failed[0]?.reason).toMatch(/^could not start the command: .*ENOENT/);
    expect(reloader.status().current).toBeNull();
  });

  it('lets a host process that embeds the reloader exit by itself after stop(), mid-drain', async () => {
    const root = await makeTempDir('reloader-test-');
    const layout = new Layout(root);
    await layout.add(hash('host1'));
    await layout.add(hash('host2'));
    await layout.flip(hash('host1'));
    const host = spawn(NODE, [HOST, LIB, root, hash('host2'), String(await freePort())], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    for (const stream of [host.stdout, host.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk));
    const exited = new Promise<number | null>((done) => host.on('exit', (code) => done(code)));
    let code: number | null | undefined;
    void exited.then((c) => (code = c));
    try {
      // The drain timeout is 10 minutes; a timer left behind would hold the host that long.
      await waitFor(() => code !== undefined, { timeout: 60_000, message: `the host to exit\n${output}` });
    } finally {
      host.kill('SIGKILL');
    }
    expect(code).toBe(0);
    expect(output).toContain('stopped');
  });

  it('stops everything within the grace when the bin gets SIGTERM', () => sigtermStopsAll(undefined));

  it('stops everything when its terminal closes (SIGHUP)', () => sigtermStopsAll(undefined, 'SIGHUP'));

  it.skipIf(!TINI)(
    `stops everything within the grace when the bin runs under tini, as in the images${noTini}`,
    () => sigtermStopsAll([TINI!, '-s', '--']),
  );
});

/** The pids of the first `starts` runs' escapees, once each runs outside the app's group (so a group signal misses it). */
async function escapees(pidFile: string, starts: number): Promise<number[]> {
  const lines = await waitFor(
    () => {
      const found = readFileSync(pidFile, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('escapees '));
      return found.length >= starts ? found.slice(0, starts) : undefined;
    },
    { message: 'the escapees started' },
  );
  const pids = lines.flatMap((line) => line.split(' ').slice(1).map(Number));
  expect(pids).toHaveLength(3 * starts);
  await waitFor(
    () =>
      pids.every((pid) => {
        const info = readProcess(pid);
        return info !== null && info.comm !== 'sh' && info.pgid === pid;
      }),
    { message: 'each escapee in a group of its own' },
  );
  return pids;
}

async function sigtermStopsAll(
  prefix: string[] | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  const root = await makeTempDir('reloader-test-');
  const layout = new Layout(root);
  const pidFile = join(root, 'pids');
  pidFiles.push(pidFile);
  await layout.add(hash('term'), { grandchild: true, gracefulTerm: true, escapees: true });
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
  const escaped = await escapees(pidFile, 1);
  const pids = pidsIn(pidFile).filter((pid) => !escaped.includes(pid));
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
  // So is what the app started outside its group (setsid, detached, double fork).
  await waitFor(() => [...pids, ...escaped].every((pid) => !isAlive(pid)), {
    timeout: 5000,
    message: 'every process gone',
  });
  expect(bin.stderr).toContain(`${signal}: stopping`);
}
