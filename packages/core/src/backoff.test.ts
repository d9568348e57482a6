import { describe, expect, it } from 'vitest';
import { backoffMs } from './backoff.js';

describe('backoffMs', () => {
  it('doubles from the base and stops at the cap, also for huge attempt counts', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, 500, 15_000))).toEqual([
      500, 1000, 2000, 4000, 8000, 15_000,
    ]);
    expect(backoffMs(0, 500, 15_000)).toBe(500);
    expect(backoffMs(10_000, 1000, 60_000)).toBe(60_000);
  });
});
