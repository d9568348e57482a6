import { join } from 'node:path';
import { makeTempDir, removeTempDirs, TestRemote } from '@gitpaas/test-utils';
import { createGitSync, type GitSync, type GitSyncOptions, type Logger } from '../../src/index.js';

const running: GitSync[] = [];
const stoppers: Array<() => Promise<void>> = [];

/** A captured logger: every line the library logged, for assertions and redaction greps. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (msg: string, fields?: object) => {
    lines.push(JSON.stringify({ level, msg, ...fields }));
  };
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

/** A temp dir holding a test remote (`repo.git` unless named) and the path of the root git-sync will own. */
export async function syncFixture(
  name = 'repo.git',
): Promise<{ dir: string; remote: TestRemote; root: string }> {
  const dir = await makeTempDir();
  const remote = await TestRemote.create(dir, name);
  return { dir, remote, root: join(dir, 'root') };
}

/** createGitSync with test defaults (retry forever, one-minute period); stopped by `stopAllSyncs()`. */
export function makeSync(options: GitSyncOptions & { logger?: Logger }): GitSync {
  const gitSync = createGitSync({ maxFailures: -1, period: 60_000, ...options });
  running.push(gitSync);
  return gitSync;
}

/** Starts a git-sync and waits for one successful sync. */
export async function started(gitSync: GitSync): Promise<GitSync> {
  await gitSync.start();
  await gitSync.syncNow('test');
  return gitSync;
}

export async function stopAllSyncs(): Promise<void> {
  await Promise.all(running.splice(0).map((gitSync) => gitSync.stop()));
}

/** Has cleanUpSyncs() call `stop` (a test server, a hang switch) after the git-syncs stopped. */
export function stopAfterTest(stop: () => Promise<void>): void {
  stoppers.push(stop);
}

/** The afterEach of the sync suites: every git-sync made by makeSync stopped, then what stopAfterTest() was given, then the temp dirs removed. */
export async function cleanUpSyncs(): Promise<void> {
  await stopAllSyncs();
  await Promise.all(stoppers.splice(0).map((stop) => stop()));
  await removeTempDirs();
}
