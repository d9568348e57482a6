import { backoffMs } from '@gitpaas/core';
import { describe, expect, it } from 'vitest';
import { CRASH_BACKOFF } from './supervise.js';

describe('crash restarts', () => {
  it('back off exponentially up to the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) =>
      backoffMs(n, CRASH_BACKOFF.baseMs, CRASH_BACKOFF.capMs),
    );
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
  });
});
