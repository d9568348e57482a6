import { backoffMs } from '@gitpaas/core';
import { type ChildExit, describeExit } from './child.js';
import type { Context } from './context.js';
import { ReloaderError } from './errors.js';
import { formatMs, messageOf } from './format.js';
import { launch, type Running, spawnApp } from './launch.js';
import { freePort } from './port.js';
import { rollBack } from './rollback.js';
import { switchTo } from './switch.js';

/** Crash restarts: 0.5 s doubling to 15 s (pm2 caps at 15 s too). */
export const CRASH_BACKOFF = { baseMs: 500, capMs: 15_000 } as const;
/** A child that ran this long without crashing starts its crash count from zero again. */
const STABLE_AFTER_MS = 10_000;
/** This many crashes in a row without a stable run mark the revision failed. */
const CRASH_LOOP_COUNT = 5;

/** Crash supervision: the live process that exits by itself is restarted with capped exponential backoff. */
export class Supervisor {
  /** Restarts in progress, so stop() waits for the process one may be starting. */
  private readonly restarts = new Set<Promise<void>>();

  constructor(private readonly ctx: Context) {}

  /** Restarts `running` if it exits while it is the live process. */
  watch(running: Running): void {
    void running.child.exited.then((exit) => this.crashed(running, exit));
  }

  /** Resolves once no restart is under way. */
  async idle(): Promise<void> {
    await Promise.all(this.restarts);
  }

  private async crashed(running: Running, exit: ChildExit): Promise<void> {
    const { ctx } = this;
    if (ctx.stopped || running.retiring || ctx.live !== running) return;
    const stable = Date.now() - running.startedAt >= STABLE_AFTER_MS;
    running.crashes = stable ? 1 : running.crashes + 1;
    const delay = backoffMs(running.crashes, CRASH_BACKOFF.baseMs, CRASH_BACKOFF.capMs);
    const looping = running.crashes >= CRASH_LOOP_COUNT;
    // Requests wait for the restart rather than fail, for as long as it may take to come back
    // (the backoff, then --ready-timeout); a crash-looping app is not waited for.
    if (looping) ctx.proxy?.setActive(null);
    else ctx.proxy?.holdForRestart(Date.now() + delay + ctx.options.readyTimeout);
    // Grandchildren of a crashed app would hold its port or keep working: clean the group first.
    await running.child.kill();
    if (ctx.stopped || ctx.live !== running) return;
    const { release } = running;
    ctx.metrics.restarts.inc();
    ctx.emit('crash', {
      revision: release.revision,
      code: exit.code,
      signal: exit.signal,
      restartInMs: delay,
    });
    ctx.options.logger.warn(`the app ${describeExit(exit)}; restarting in ${formatMs(delay)}`, {
      revision: release.revision,
    });
    if (looping && release.outcome === 'live') {
      release.lastOutput = running.output.lines();
      ctx.end(release, 'failed', `crash-looping: ${describeExit(exit)} ${running.crashes} times in a row`);
      rollBack(ctx, release);
    }
    ctx.later(delay, () => {
      const restarting = this.restart(running).finally(() => this.restarts.delete(restarting));
      this.restarts.add(restarting);
    });
  }

  private async restart(crashed: Running): Promise<void> {
    const { ctx } = this;
    if (ctx.stopped || ctx.live !== crashed) return;
    const { release, output } = crashed;
    const next = spawnApp(
      ctx,
      release,
      output,
      ctx.proxy ? await freePort() : null,
      crashed.command,
      crashed.env,
    );
    next.crashes = crashed.crashes;
    if (ctx.proxy) {
      try {
        await launch(ctx, next, ctx.lifetime);
      } catch (error) {
        if (ctx.stopped || ctx.live !== crashed) return;
        // Counts as one more crash of the same release, timed from this attempt.
        crashed.startedAt = next.startedAt;
        const exit = next.child.exit;
        return this.crashed(
          crashed,
          error instanceof ReloaderError && error.code === 'E_EXITED' && exit
            ? exit
            : { code: null, signal: null, error: messageOf(error) },
        );
      }
    }
    if (ctx.stopped || ctx.live !== crashed) {
      await next.child.stop();
      return;
    }
    crashed.upstream?.close();
    switchTo(ctx, next);
  }
}
