import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('Go-style durations', () => {
  it.each([
    ['250ms', 250],
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['0', 0],
    ['-1s', -1000],
    ['500us', 0.5],
  ])('parses %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '10', 's', '1x', '1m30', 'ten seconds', '1s ms'])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it.each([
    [0, '0s'],
    [250, '250ms'],
    [10_000, '10s'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
  ])('formats %d as %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
