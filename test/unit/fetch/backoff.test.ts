import { backoffDelayMs, MAX_BACKOFF_MS } from '../../../plugin/fetch/backoff';

describe('backoff', () => {
  it('grows exponentially, never below the interval, capped, with jitter within 75-100 %', () => {
    const interval = 60_000;
    const low = [1, 2, 3, 4].map((n) => backoffDelayMs(n, interval, () => 0));
    const high = [1, 2, 3, 4].map((n) => backoffDelayMs(n, interval, () => 0.999999));
    // 60 s x 2^4 = 16 min is over the 15 min cap: 75 % of the cap
    expect(low).toEqual([90_000, 180_000, 360_000, 0.75 * MAX_BACKOFF_MS]);
    expect(high[0]).toBeCloseTo(120_000, -1);
    expect(backoffDelayMs(30, interval, () => 0.999999)).toBeLessThanOrEqual(MAX_BACKOFF_MS);
    expect(backoffDelayMs(30, 2 * 3600_000, () => 0)).toBe(2 * 3600_000);
  });
});
