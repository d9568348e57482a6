import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface HangSwitch {
  /**
   * Environment for the process serving the repository (`startGitDaemon(dir, { env })`): git honours
   * the hook only from global config, and local (file://) transports drop command-line config.
   */
  serverEnv: Record<string, string>;
  /** From now on every fetch that needs a pack hangs (the hook sleeps 600 s) until git is killed. */
  engage(): Promise<void>;
  /** From now on fetches pass again (fetches already hanging keep hanging until killed). */
  release(): Promise<void>;
  /** True once a fetch is hanging in the hook. */
  hanging(): boolean;
  /** Kills hook processes git left behind (call in afterEach). */
  cleanup(): Promise<void>;
}

/**
 * A pack-objects hook that passes through until engaged, then hangs: a real
 * in-flight fetch for stop and timeout tests, with no sleeps in the test itself.
 */
export async function hangSwitch(dir: string): Promise<HangSwitch> {
  const hook = join(dir, 'hang-pack-objects');
  const flag = join(dir, 'hang.engaged');
  const pids = join(dir, 'hang.pids');
  await writeFile(
    hook,
    `#!/bin/sh\nif [ -e '${flag}' ]; then echo $$ >> '${pids}'; exec sleep 600; fi\nexec "$@"\n`,
    { mode: 0o755 },
  );
  const config = join(dir, 'hang.gitconfig');
  await writeFile(config, `[uploadpack]\n\tpackObjectsHook = ${hook}\n`);
  return {
    serverEnv: { GIT_CONFIG_GLOBAL: config },
    engage: () => writeFile(flag, ''),
    release: () => rm(flag, { force: true }),
    hanging: () => existsSync(pids),
    async cleanup() {
      if (!existsSync(pids)) return;
      for (const pid of (await readFile(pids, 'utf8')).split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // Already gone with the git that ran it.
        }
      }
    },
  };
}
