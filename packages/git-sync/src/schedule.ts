import { backoffMs } from '@gitpaas/core';
import type { ResolvedOptions } from './config.js';
import { HASH } from './layout.js';
import { type GitSyncStatus, inInitialPhase } from './status.js';

/**
 * Wait before the next sync. Without a cap (the default, as kubernetes/git-sync) it is always the
 * period. With `--max-sync-backoff`, failures back off: period × 2^(failures-1), at most the cap, so
 * a broken remote is not hammered every period while the last good revision stays published.
 */
export function nextDelay(periodMs: number, consecutiveFailures: number, maxBackoffMs: number): number {
  if (maxBackoffMs <= 0 || consecutiveFailures <= 0) return periodMs;
  return Math.max(periodMs, backoffMs(consecutiveFailures, periodMs, maxBackoffMs));
}

/** How long the loop waits after a sync; null: until asked (a hash never moves once published, as kubernetes/git-sync idles too). */
export function nextWait(options: ResolvedOptions, state: GitSyncStatus, succeeded: boolean): number | null {
  const ref = options.ref.toLowerCase();
  if (succeeded && HASH.test(ref) && state.publishedHash === ref) return null;
  const period = inInitialPhase(state) ? (options.initPeriod ?? options.period) : options.period;
  return nextDelay(period, state.consecutiveFailures, options.maxSyncBackoff);
}
