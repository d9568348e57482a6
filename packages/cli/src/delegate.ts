import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { CommandContext } from './command.js';
import { STOP_SIGNALS } from './signals.js';

/**
 * Runs another gitpaas package's bin (its documented `./cli` subpath) with the same arguments,
 * stdio and environment, passes on each SIGINT/SIGTERM/SIGHUP as it comes, and resolves to its
 * exit code: `gitpaas sync` is exactly `git-sync`, `gitpaas run` exactly `reloader` (the
 * command sets `forwardsSignals`, so the CLI leaves these signals to it).
 */
export async function runPackageBin(
  bin: '@gitpaas/git-sync/cli' | '@gitpaas/reloader/cli',
  argv: readonly string[],
  context: CommandContext,
): Promise<number> {
  const child = execa(process.execPath, [fileURLToPath(import.meta.resolve(bin)), ...argv], {
    stdio: 'inherit',
    env: context.env,
    extendEnv: false,
    cwd: context.cwd,
    // Its own process group: a Ctrl-C reaches it once, forwarded from here, not twice (terminal + us).
    detached: true,
    // The bin decides how long stopping takes (the reloader drains): never SIGKILL it from here.
    forceKillAfterDelay: false,
    reject: false,
  });
  // Each one, every time, as is: a closed terminal (SIGHUP) must not leave the bin running
  // without us, and git-sync may take SIGHUP as "sync now" (--sync-on-signal).
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of STOP_SIGNALS) process.on(signal, forward);
  try {
    const result = await child;
    if (result.exitCode !== undefined) return result.exitCode;
    if (result.signal) return 128 + constants.signals[result.signal];
    throw result.cause ?? result;
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, forward);
  }
}
