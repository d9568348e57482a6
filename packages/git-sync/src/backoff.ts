/**
 * Wait before the next sync. Without a cap (the default, as kubernetes/git-sync) it is always the
 * period. With `--max-sync-backoff`, failures back off: period × 2^(failures-1), at most the cap, so
 * a broken remote is not hammered every period while the last good revision stays published.
 */
export function nextDelay(periodMs: number, consecutiveFailures: number, maxBackoffMs: number): number {
  if (maxBackoffMs <= 0 || consecutiveFailures <= 0) return periodMs;
  const exponent = Math.min(consecutiveFailures - 1, 30);
  return Math.max(periodMs, Math.min(maxBackoffMs, periodMs * 2 ** exponent));
}
