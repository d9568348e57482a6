import { whenAborted } from '@gitpaas/core';
import { describeExit } from './child.js';
import type { Context } from './context.js';
import { ReloaderError } from './errors.js';
import { startChild } from './launch.js';
import type { Release } from './ledger.js';
import type { OutputTail } from './output.js';

/** Runs --build through the shell in the release dir, beside the live app; throws E_BUILD when it fails. */
export async function runBuild(
  ctx: Context,
  command: string,
  release: Release,
  output: OutputTail,
  signal: AbortSignal,
): Promise<void> {
  const started = Date.now();
  const build = startChild(ctx, release, output, [command], true, null);
  const exit = await Promise.race([build.exited, whenAborted(signal).then(() => 'aborted' as const)]);
  if (exit === 'aborted') {
    await build.stop();
    signal.throwIfAborted();
    return;
  }
  release.times.buildMs = Date.now() - started;
  // Whatever the build left running in the background (it should leave nothing) is stopped too.
  await build.stop();
  if (exit.error) throw new ReloaderError('E_BUILD', `--build could not start: ${exit.error}`);
  if (exit.code !== 0)
    throw new ReloaderError('E_BUILD', `--build ${describeExit(exit)}; see its last output lines`);
}
