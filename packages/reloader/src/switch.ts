import { deadline, whenAborted } from '@gitpaas/core';
import type { Context } from './context.js';
import type { Running } from './launch.js';

/** Makes `running` the live process: traffic moves to it, the previous one drains and stops. */
export function switchTo(ctx: Context, running: Running): void {
  const old = ctx.live;
  ctx.live = running;
  if (running.upstream) ctx.proxy?.setActive(running.upstream);
  const { release } = running;
  // A restart after a crash reuses the release: it switched once already.
  const first = release.times.switchedAt === undefined;
  if (first) {
    release.times.switchedAt = new Date().toISOString();
    ctx.end(release, 'live');
    ctx.emit('switch', release);
  }
  ctx.options.logger.info(
    first ? `release ${release.id} is live` : `release ${release.id} is running again`,
    {
      revision: release.revision,
      pid: running.child.pid,
    },
  );
  ctx.supervisor.watch(running);
  if (old && old !== running) void retire(ctx, old);
}

/** Drains (handoff mode) and stops a process that is no longer live. */
export async function retire(ctx: Context, running: Running): Promise<void> {
  const { logger, drainTimeout } = ctx.options;
  const { child, upstream, release } = running;
  running.retiring = true;
  ctx.retiring.add(running);
  if (upstream && !child.exit) {
    logger.debug('draining the old process', {
      revision: release.revision,
      inflight: upstream.inflight,
      upgraded: upstream.upgraded.size,
    });
    // Cleared as soon as the drain ends, the process exits or stop() runs: an embedding process
    // must not be kept alive for the rest of --drain-timeout.
    const limit = deadline(drainTimeout, [ctx.lifetime]);
    try {
      await Promise.race([upstream.drain(), child.exited, whenAborted(limit.signal)]);
    } finally {
      limit.clear();
    }
    if (limit.timedOut)
      logger.info('drain timeout reached; stopping the old process', { revision: release.revision });
  }
  await child.stop();
  upstream?.close();
  ctx.retiring.delete(running);
  if (release !== ctx.live?.release && release.outcome === 'live') ctx.end(release, 'retired');
  ctx.builder.prune();
}
