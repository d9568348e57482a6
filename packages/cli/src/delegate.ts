import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandContext } from './command.js';

/**
 * Runs another gitpaas package's bin (`dist/cli.js` beside its entry point) with the same
 * arguments, stdio and environment, forwards SIGINT/SIGTERM, and resolves to its exit code:
 * `gitpaas sync` is exactly `git-sync`, `gitpaas run` exactly `reloader`.
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
  const forward = () => {
    const reason = context.signal.reason;
    child.kill(reason === 'SIGINT' || reason === 'SIGTERM' ? reason : 'SIGTERM');
  };
  context.signal.addEventListener('abort', forward, { once: true });
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 143)));
    });
  } finally {
    context.signal.removeEventListener('abort', forward);
  }
}
