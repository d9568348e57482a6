import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, join } from 'node:path';

/** Set in the re-run bin, so it runs normally under the init. */
const UNDER_INIT = 'GITPAAS_UNDER_INIT';

function findInit(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of ['tini', 'tini-static']) {
      const path = join(dir, name);
      if (existsSync(path)) return path;
    }
  }
  return undefined;
}

/**
 * Node reaps only the processes it spawned itself, so as PID 1 of a container the app's orphaned
 * grandchildren would stay zombies. The bin then runs itself again under `tini -s` (a child
 * subreaper): orphans are re-parented to tini, which reaps them; signals are passed on.
 * Returns the exit code to end with once handed over, or undefined to run here (not PID 1, or no
 * tini on PATH).
 */
export function runUnderInit(
  argv: readonly string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> | undefined {
  if (process.pid !== 1 || env[UNDER_INIT]) return undefined;
  const init = findInit(env);
  if (!init) return undefined;
  const child = spawn(init, ['-s', '--', process.execPath, ...process.execArgv, ...argv.slice(1)], {
    stdio: 'inherit',
    env: { ...env, [UNDER_INIT]: '1' },
  });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}
