/** Capped exponential backoff: base, 2×base, 4×base … never more than cap. */
export function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/** Crash restarts: 0.5 s doubling to 15 s (pm2 caps at 15 s too). */
export const CRASH_BACKOFF = { baseMs: 500, capMs: 15_000 } as const;
/** A child that ran this long without crashing starts its crash count from zero again. */
export const STABLE_AFTER_MS = 10_000;
/** This many crashes in a row without a stable run mark the revision failed. */
export const CRASH_LOOP_COUNT = 5;
/** First start with nothing to keep serving: retry 1 s doubling to 30 s. */
export const FIRST_START_BACKOFF = { baseMs: 1000, capMs: 30_000 } as const;
