import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandContext } from './command.js';
import { STOP_SIGNALS } from './signals.js';

/**
 * Runs another gitpaas package's bin (`dist/cli.js` beside its entry point) with the same
 * arguments, stdio and environment, passes on each SIGINT/SIGTERM/SIGHUP as it comes, and
 * resolves to its exit code: `gitpaas sync` is exactly `git-sync`, `gitpaas run` exactly
 * `reloader` (the command sets `forwardsSignals`, so the CLI leaves these signals to it).
 */
export async function runPackageBin(
  pkg: string,
  argv: readonly string[],
  context: CommandContext,
): Promise<number> {
  const entry = fileURLToPath(import.meta.resolve(pkg));
  const bin = join(dirname(entry), 'cli.js');
  // Its own process group: a Ctrl-C reaches it once, forwarded from here, not twice (terminal + us).
  const child = spawn(process.execPath, [bin, ...argv], {
    stdio: 'inherit',
    env: context.env,
    cwd: context.cwd,
    detached: true,
  });
  // Each one, every time, as is: a closed terminal (SIGHUP) must not leave the bin running
  // without us, and git-sync may take SIGHUP as "sync now" (--sync-on-signal).
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of STOP_SIGNALS) process.on(signal, forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? 128 + constants.signals[signal ?? 'SIGTERM']));
    });
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, forward);
  }
}
