import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../src/queue/backoff.js';

describe('backoff', () => {
  it('doubles from the base, half fixed and half random, and never passes the cap', () => {
    const low = (a: number): number => backoffMs(a, 1000, 30_000, () => 0);
    const high = (a: number): number => backoffMs(a, 1000, 30_000, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7].map(low)).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
    expect([1, 2, 3, 4, 5, 6, 7].map(high)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    for (let a = 1; a < 60; a++) {
      const d = backoffMs(a, 1000, 30_000);
      expect(d).toBeGreaterThanOrEqual(low(a));
      expect(d).toBeLessThanOrEqual(high(a));
    }
    // An attempt of 0 or less (nothing tried yet) waits like the first.
    expect(backoffMs(0, 1000, 30_000, () => 1)).toBe(1000);
    // Far past the cap the exponent must not overflow into Infinity or NaN.
    expect(backoffMs(5000, 1000, 30_000, () => 1)).toBe(30_000);
  });
});
