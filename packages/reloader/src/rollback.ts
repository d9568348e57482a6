import { existsSync } from 'node:fs';
import type { Context } from './context.js';
import { shortRevision } from './format.js';
import type { Release } from './ledger.js';

/**
 * The live revision crash-loops: run the last release that was good before it again, if its
 * directory is still there (git-sync's --stale-worktree-timeout keeps it). The link is not
 * touched, so the next published revision is tried normally.
 */
export function rollBack(ctx: Context, broken: Release): void {
  if (broken.revision === null || ctx.deploys.busy) return;
  const previous = ctx.ledger.releases.find(
    (release) =>
      release.outcome === 'retired' &&
      release.revision !== null &&
      release.revision !== broken.revision &&
      existsSync(release.dir),
  );
  if (!previous) return;
  const note = `rollback: ${shortRevision(broken.revision)} was crash-looping`;
  ctx.options.logger.warn(`${note}; starting ${shortRevision(previous.revision)} again`, {
    revision: previous.revision,
  });
  ctx.deploys.rerun({ revision: previous.revision, dir: previous.dir, note });
}
