import { waitFor } from '@gitpaas/core';
import { execa, type ResultPromise } from 'execa';
import { gitEnv } from './git.js';
import { freePort } from './ports.js';

export interface GitDaemon {
  /** `git://127.0.0.1:<port>` — append `/<name>` for a repository under the base path. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Serves every repository under `basePath` read-only with `git daemon` on 127.0.0.1. */
export async function startGitDaemon(
  basePath: string,
  options: { env?: Record<string, string> } = {},
): Promise<GitDaemon> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = execa(
      'git',
      [
        'daemon',
        '--reuseaddr',
        '--export-all',
        `--base-path=${basePath}`,
        '--listen=127.0.0.1',
        `--port=${port}`,
        '--informative-errors',
        basePath,
      ],
      { env: { ...gitEnv, ...options.env }, reject: false, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const url = `git://127.0.0.1:${port}`;
    try {
      // ls-remote of a missing repo still proves the daemon answers ("access denied" comes from it).
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error('git daemon exited');
          const result = await execa('git', ['ls-remote', `${url}/nonexistent`], {
            env: gitEnv,
            reject: false,
          });
          return (
            /no such repository|access denied|not exported/i.test(result.stderr) || result.exitCode === 0
          );
        },
        { timeout: 15_000, message: `git daemon on port ${port}` },
      );
      return { url, port, stop: () => stopChild(child) };
    } catch (error) {
      await stopChild(child);
      if (attempt >= 2) throw error;
    }
  }
}

async function stopChild(child: ResultPromise): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await child;
}
