import { createGitSync, type GitSync, type GitSyncOptions, type Logger } from '../../src/index.js';

const running: GitSync[] = [];

/** A captured logger: every line the library logged, for assertions and redaction greps. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (msg: string, fields?: object) => {
    lines.push(JSON.stringify({ level, msg, ...fields }));
  };
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

/** createGitSync with test defaults (retry forever, fast period); stopped by `stopAllSyncs()`. */
export function makeSync(options: GitSyncOptions & { logger?: Logger }): GitSync {
  const gitSync = createGitSync({ maxFailures: -1, period: 60_000, ...options });
  running.push(gitSync);
  return gitSync;
}

export async function stopAllSyncs(): Promise<void> {
  await Promise.all(running.splice(0).map((gitSync) => gitSync.stop()));
}
